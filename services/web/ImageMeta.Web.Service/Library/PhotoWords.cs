using System.Globalization;
using ImageMeta.Contracts;

namespace ImageMeta.Web.Service.Library;

/// <summary>
/// A photo's facts as people say them: the camera without its maker twice ("Canon EOS 40D", not "Canon Canon EOS
/// 40D"), one exposure line ("1/250 s · f/2.8 · ISO 400 · 35 mm"), the date with its zone, and words for EXIF
/// orientation, the codec's colour type, the exposure program and white balance.
/// </summary>
public static class PhotoWords
{
    /// <summary>The model alone when it already names the maker (or the maker's first word), else maker and model.</summary>
    public static string? Camera(string? make, string? model)
    {
        make = make?.Trim();
        model = model?.Trim();
        if (string.IsNullOrEmpty(make))
        {
            return string.IsNullOrEmpty(model) ? null : model;
        }

        if (string.IsNullOrEmpty(model))
        {
            return make;
        }

        // "NIKON CORPORATION" + "NIKON D750": the model carries the maker's name already.
        var brand = make.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return model.StartsWith(brand, StringComparison.OrdinalIgnoreCase) ? model : $"{make} {model}";
    }

    /// <summary>"1/250 s · f/2.8 · ISO 400 · 35 mm" from the parts the file has; null when it has none.</summary>
    public static string? Exposure(ExifMetadata? exif)
    {
        if (exif is null)
        {
            return null;
        }

        var parts = new List<string>();
        if (exif.ExposureTime is { } time)
        {
            parts.Add(HumanUnits.Exposure(time));
        }

        if (exif.FNumber is { } f)
        {
            parts.Add(HumanUnits.FNumber(f));
        }

        if (exif.Iso is { } iso)
        {
            parts.Add("ISO " + iso.ToString(CultureInfo.InvariantCulture));
        }

        if (exif.FocalLength is { } focal)
        {
            parts.Add(HumanUnits.FocalLength(focal));
        }

        return parts.Count == 0 ? null : string.Join(" · ", parts);
    }

    /// <summary>
    /// "2024-05-11 14:30:00, UTC+02:00" when the file records the offset, else "2024-05-11 14:30:00, camera's local
    /// time" (EXIF often has no zone); the text as it is when it is not the contract's shape.
    /// </summary>
    public static string Taken(string takenAt)
    {
        ArgumentNullException.ThrowIfNull(takenAt);
        if (takenAt.Length < 19)
        {
            return takenAt;
        }

        var local = takenAt[..19].Replace('T', ' ');
        var zone = takenAt[19..];
        return zone switch
        {
            "" => $"{local}, camera's local time (no zone recorded)",
            "Z" => $"{local}, UTC",
            _ => $"{local}, UTC{zone}",
        };
    }

    /// <summary>EXIF orientation 1–8 as the turn or mirror that shows the picture upright.</summary>
    public static string Orientation(int orientation) => orientation switch
    {
        1 => "upright as stored",
        2 => "mirrored left to right",
        3 => "turned 180°",
        4 => "mirrored top to bottom",
        5 => "mirrored and turned 90° anticlockwise",
        6 => "turned 90° clockwise",
        7 => "mirrored and turned 90° clockwise",
        8 => "turned 90° anticlockwise",
        _ => orientation.ToString(CultureInfo.InvariantCulture),
    } + $" (EXIF {orientation.ToString(CultureInfo.InvariantCulture)})";

    /// <summary>The codec's colour type in words, with the codec's own name after it.</summary>
    public static string ColorType(string colorType)
    {
        ArgumentNullException.ThrowIfNull(colorType);
        var words = colorType.ToLowerInvariant() switch
        {
            "rgba8888" or "bgra8888" or "rgb888x" => "8 bits a channel, colour",
            "srgba8888" => "8 bits a channel, sRGB colour",
            "gray8" => "8-bit greyscale",
            "alpha8" => "transparency only",
            "rgb565" => "16-bit colour",
            "argb4444" => "4 bits a channel, colour",
            "rgba1010102" or "bgra1010102" or "rgb101010x" or "bgr101010x" => "10 bits a channel, colour",
            "rgbaf16" or "rgbaf16norm" => "16-bit floating-point colour (high dynamic range)",
            "rgbaf32" => "32-bit floating-point colour",
            "rgba16161616" => "16 bits a channel, colour",
            _ => null,
        };
        return words is null ? colorType : $"{words} ({colorType})";
    }

    /// <summary>The exposure program's contract word as a phrase.</summary>
    public static string ExposureProgram(string program) => program switch
    {
        ExposurePrograms.Program => "program (automatic)",
        ExposurePrograms.AperturePriority => "aperture priority",
        ExposurePrograms.ShutterPriority => "shutter priority",
        _ => program,
    };

    /// <summary>The white balance's contract word as a phrase.</summary>
    public static string WhiteBalance(string balance) => balance == WhiteBalances.Auto ? "automatic" : balance;
}
