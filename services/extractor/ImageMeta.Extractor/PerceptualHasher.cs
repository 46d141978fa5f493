using SkiaSharp;

namespace ImageMeta.Extractor;

/// <summary>
/// The 64-bit difference hash (dHash) of decoded pixels: the image reduced to 9×8 gray cells by area averaging,
/// then one bit per horizontally adjacent pair of cells in each row, set when the left cell is brighter than the
/// right one. It depends on the image's coarse gradients only, so re-encoding, resizing, a format change or a
/// small brightness change leave most bits as they are, while different pictures differ in about half of them
/// (ThumbnailHashTests measures both). Bit 63 is row 0's first pair; rows follow each other.
/// </summary>
public static class PerceptualHasher
{
    /// <summary>Columns of the gray reduction (one more than the bits per row).</summary>
    public const int Columns = 9;

    /// <summary>Rows of the gray reduction.</summary>
    public const int Rows = 8;

    /// <summary>The hash of a bitmap (any colour type Skia can read as RGBA; premultiplied alpha, i.e. over black).</summary>
    public static ulong Hash(SKBitmap bitmap)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        using var rgba = bitmap.ColorType == SKColorType.Rgba8888 ? null : Converted(bitmap);
        var source = rgba ?? bitmap;
        return Hash(source.GetPixelSpan(), source.Width, source.Height, source.RowBytes);
    }

    /// <summary>The hash of RGBA rows (8 bits a channel, premultiplied alpha).</summary>
    public static ulong Hash(ReadOnlySpan<byte> rgba, int width, int height, int rowBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var cells = Reduce(rgba, width, height, rowBytes);
        ulong hash = 0;
        for (var row = 0; row < Rows; row++)
        {
            for (var column = 0; column < Columns - 1; column++)
            {
                hash <<= 1;
                if (cells[(row * Columns) + column] > cells[(row * Columns) + column + 1])
                {
                    hash |= 1;
                }
            }
        }

        return hash;
    }

    /// <summary>
    /// Gray (Rec. 601 luma) averaged over each of the 9×8 cells, each source pixel weighted by the part of it a
    /// cell covers, so the result does not depend on how the source size divides by 9 or 8 (nor on a source
    /// smaller than the grid).
    /// </summary>
    private static double[] Reduce(ReadOnlySpan<byte> rgba, int width, int height, int rowBytes)
    {
        // Columns first: each source row becomes 9 sums, then the rows are folded into 8.
        var columnSpans = Spans(width, Columns);
        var rowSpans = Spans(height, Rows);
        var rowCells = new double[Columns];
        var cells = new double[Rows * Columns];
        for (var y = 0; y < height; y++)
        {
            Array.Clear(rowCells);
            var line = rgba.Slice(y * rowBytes, width * 4);
            for (var c = 0; c < Columns; c++)
            {
                foreach (var (x, weight) in columnSpans[c])
                {
                    var at = x * 4;
                    rowCells[c] += weight * ((0.299 * line[at]) + (0.587 * line[at + 1]) + (0.114 * line[at + 2]));
                }
            }

            for (var r = 0; r < Rows; r++)
            {
                foreach (var (sourceRow, weight) in rowSpans[r])
                {
                    if (sourceRow == y)
                    {
                        for (var c = 0; c < Columns; c++)
                        {
                            cells[(r * Columns) + c] += weight * rowCells[c];
                        }
                    }
                }
            }
        }

        return cells;
    }

    /// <summary>For each of <paramref name="cells"/> equal parts of <paramref name="length"/> pixels: the pixels it covers and by how much.</summary>
    private static List<(int Index, double Weight)>[] Spans(int length, int cells)
    {
        var spans = new List<(int, double)>[cells];
        var step = (double)length / cells;
        for (var cell = 0; cell < cells; cell++)
        {
            var start = cell * step;
            var end = start + step;
            spans[cell] = [];
            for (var i = (int)Math.Floor(start); i < Math.Min(length, (int)Math.Ceiling(end)); i++)
            {
                var covered = Math.Min(end, i + 1) - Math.Max(start, i);
                if (covered > 0)
                {
                    spans[cell].Add((i, covered / step));
                }
            }
        }

        return spans;
    }

    private static SKBitmap Converted(SKBitmap bitmap)
    {
        var converted = new SKBitmap(new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        if (!bitmap.CopyTo(converted, SKColorType.Rgba8888))
        {
            converted.Dispose();
            throw new InvalidOperationException($"A {bitmap.ColorType} bitmap cannot be read as RGBA.");
        }

        return converted;
    }
}
