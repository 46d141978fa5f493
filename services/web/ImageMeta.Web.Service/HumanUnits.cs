using System.Globalization;

namespace ImageMeta.Web.Service;

/// <summary>Numbers as people read them: sizes in KB/MB (powers of 1024), exposure as 1/250 s, f/2.8, 35 mm.</summary>
public static class HumanUnits
{
    private static readonly string[] ByteUnits = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    public static string Bytes(decimal bytes)
    {
        if (bytes < 1024)
        {
            return bytes == 1 ? "1 byte" : $"{bytes.ToString("0", CultureInfo.InvariantCulture)} bytes";
        }

        var unit = 0;
        while (bytes >= 1024 && unit < ByteUnits.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }

        return $"{bytes.ToString(bytes < 10 ? "0.#" : "0", CultureInfo.InvariantCulture)} {ByteUnits[unit]}";
    }

    public static string Bytes(long bytes) => Bytes((decimal)bytes);

    /// <summary>1/250 s below one second (the way cameras show it), else seconds.</summary>
    public static string Exposure(double seconds) => seconds is > 0 and < 1
        ? $"1/{Math.Round(1 / seconds).ToString(CultureInfo.InvariantCulture)} s"
        : $"{seconds.ToString("0.#", CultureInfo.InvariantCulture)} s";

    public static string FNumber(double value) => $"f/{value.ToString("0.#", CultureInfo.InvariantCulture)}";

    public static string FocalLength(double millimetres) => $"{millimetres.ToString("0.#", CultureInfo.InvariantCulture)} mm";

    public static string Coordinate(double degrees) => degrees.ToString("0.000000", CultureInfo.InvariantCulture);

    public static string Metres(double metres) => $"{metres.ToString("0.#", CultureInfo.InvariantCulture)} m";

    /// <summary>An OpenStreetMap link that puts a marker on the position.</summary>
    public static Uri OpenStreetMap(double latitude, double longitude)
    {
        var lat = Coordinate(latitude);
        var lon = Coordinate(longitude);
        return new Uri($"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=15/{lat}/{lon}");
    }

    public static string Instant(DateTimeOffset instant) => instant.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>A wait in whole seconds, minutes and hours ("45 s", "1 min 5 s", "2 h 3 min"); under a second reads "0 s".</summary>
    public static string Duration(TimeSpan span)
    {
        var seconds = Math.Max(0, (long)span.TotalSeconds);
        return seconds switch
        {
            < 60 => $"{seconds} s",
            < 3600 => seconds % 60 == 0 ? $"{seconds / 60} min" : $"{seconds / 60} min {seconds % 60} s",
            _ => (seconds % 3600) / 60 == 0 ? $"{seconds / 3600} h" : $"{seconds / 3600} h {(seconds % 3600) / 60} min",
        };
    }
}
