using System.Text;
using System.Text.Json;

namespace ImageMeta.Testing.Dapr;

/// <summary>
/// The output binding <c>images</c> as daprd runs it with the <c>bindings.localstorage</c> component:
/// one root folder, shared by every sidecar double of a <see cref="SidecarNetwork"/> (the component
/// file of the local profile points all three sidecars at the same folder).
/// Behaviour follows dapr/components-contrib <c>bindings/localstorage/localstorage.go</c>.
/// </summary>
public sealed class LocalStorageBindingDouble(string rootPath)
{
    /// <summary>The request metadata key naming the file (components-contrib: <c>fileNameMetadataKey</c>).</summary>
    public const string FileNameKey = "fileName";

    /// <summary>The absolute folder the binding reads and writes.</summary>
    public string RootPath { get; } = Path.GetFullPath(rootPath);

    private int _creates;
    private int _gets;
    private int _getsInFlight;
    private int _maxGetsInFlight;

    /// <summary>How many <c>create</c> operations succeeded (an upload writes exactly one).</summary>
    public int CreateCount => Volatile.Read(ref _creates);

    /// <summary>Test hook: <c>get</c> operations that read a file, since the double started (blob reads, for the benchmark's reads per image).</summary>
    public int GetCount => Volatile.Read(ref _gets);

    /// <summary>Test hook: <c>get</c> operations reading a file now.</summary>
    public int GetsInFlight => Volatile.Read(ref _getsInFlight);

    /// <summary>Test hook: the most <c>get</c> operations reading a file at the same moment since the double started.</summary>
    public int MaxGetsInFlight => Volatile.Read(ref _maxGetsInFlight);

    /// <summary>
    /// Runs one operation. Returns the response data (null = no data, as <c>delete</c> answers) or throws
    /// <see cref="BindingOperationException"/> with the component's own error text.
    /// </summary>
    public byte[]? Invoke(string operation, byte[] data, IReadOnlyDictionary<string, string> metadata)
    {
        metadata.TryGetValue(FileNameKey, out var fileName);
        fileName ??= string.Empty;
        switch (operation)
        {
            case "create":
                // localstorage.go Invoke: a create without fileName gets a random UUID name.
                return Create(fileName.Length == 0 ? Guid.NewGuid().ToString() : fileName, data);
            case "get":
                return Get(fileName);
            case "delete":
                Delete(fileName);
                return null;
            case "list":
                return List(fileName);
            default:
                // localstorage.go Invoke: default branch.
                throw new BindingOperationException($"unsupported operation {operation}");
        }
    }

    private byte[] Create(string fileName, byte[] data)
    {
        // localstorage.go create: strconv.Unquote first (the HTTP API re-marshals "data" as JSON, so a
        // string arrives quoted), then base64.StdEncoding.DecodeString; each step is kept only if it succeeds.
        if (TryGoUnquote(data, out var unquoted))
        {
            data = unquoted;
        }

        if (TryStrictBase64(data, out var decoded))
        {
            data = decoded;
        }

        var (absolute, relative) = SecureJoin(fileName);
        Directory.CreateDirectory(Path.GetDirectoryName(absolute)!);

        // Write to a private temp name and move, so a concurrent reader (the extractor) never sees a
        // half-written file; os.Create+Write in Go is not atomic, but readers there follow the create's
        // answer too, so nobody reads before the create returned.
        var temp = absolute + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllBytes(temp, data);
        File.Move(temp, absolute, overwrite: true);
        Interlocked.Increment(ref _creates);

        // localstorage.go createResponse: {"fileName": relPath}.
        return JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["fileName"] = relative });
    }

    private byte[] Get(string fileName)
    {
        var (absolute, _) = SecureJoin(fileName);
        if (absolute.Contains('\0', StringComparison.Ordinal))
        {
            // localstorage.go get: os.Open fails as Go's syscall layer refuses a path with NUL (EINVAL).
            throw new BindingOperationException($"error opening path {absolute}: open {absolute}: invalid argument");
        }

        if (Directory.Exists(absolute))
        {
            // localstorage.go get: os.Open of a folder succeeds, then io.ReadAll fails.
            throw new BindingOperationException($"error reading file {absolute}: read {absolute}: is a directory");
        }

        Interlocked.Increment(ref _getsInFlight);
        Interlocked.Increment(ref _gets);
        try
        {
            UpdateMaximum(ref _maxGetsInFlight, Volatile.Read(ref _getsInFlight));
            // A FIFO blocks here until a writer opens it, as os.Open does in daprd.
            return File.ReadAllBytes(absolute);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // localstorage.go get: fmt.Errorf("file not found: %s", absPath).
            throw new BindingOperationException($"file not found: {absolute}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new BindingOperationException($"error opening path {absolute}: {e.Message}");
        }
        finally
        {
            Interlocked.Decrement(ref _getsInFlight);
        }
    }

    private static void UpdateMaximum(ref int maximum, int value)
    {
        while (true)
        {
            var seen = Volatile.Read(ref maximum);
            if (value <= seen || Interlocked.CompareExchange(ref maximum, value, seen) == seen)
            {
                return;
            }
        }
    }

    private void Delete(string fileName)
    {
        var (absolute, _) = SecureJoin(fileName);
        if (!File.Exists(absolute))
        {
            // localstorage.go delete: os.Remove's error is returned ("no such file or directory").
            throw new BindingOperationException($"error deleting file {absolute}: remove {absolute}: no such file or directory");
        }

        File.Delete(absolute);
    }

    private byte[] List(string fileName)
    {
        var (absolute, _) = SecureJoin(fileName);
        if (File.Exists(absolute))
        {
            throw new BindingOperationException($"unable to list files as the file specified is not a directory: {absolute}");
        }

        if (!Directory.Exists(absolute))
        {
            throw new BindingOperationException($"error getting stats for path {absolute}: stat {absolute}: no such file or directory");
        }

        // localstorage.go walkPath: filepath.Walk (lexical order), files only, absolute paths, as a JSON array.
        var files = Directory.EnumerateFiles(absolute, "*", SearchOption.AllDirectories)
            .Where(path => !Path.GetFileName(path).Contains(".tmp-", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        return JsonSerializer.SerializeToUtf8Bytes(files);
    }

    /// <summary>
    /// filepath-securejoin's SecureJoin, lexically: ".." never climbs above the root, so every name lands
    /// inside it. Returns the absolute path and the path relative to the root (Go's filepath.Rel).
    /// </summary>
    private (string Absolute, string Relative) SecureJoin(string fileName)
    {
        var parts = SidecarDouble.CleanSegments(fileName.Replace('\\', '/'));
        var relative = parts.Count == 0 ? "." : string.Join('/', parts);
        var absolute = parts.Count == 0 ? RootPath : Path.Combine([RootPath, .. parts]);
        return (absolute, relative);
    }

    /// <summary>Go's strconv.Unquote for the one case that matters: a JSON/Go double-quoted string.</summary>
    private static bool TryGoUnquote(byte[] data, out byte[] value)
    {
        value = data;
        if (data.Length < 2 || data[0] != (byte)'"' || data[^1] != (byte)'"')
        {
            return false;
        }

        try
        {
            var text = JsonSerializer.Deserialize<string>(data);
            if (text is null)
            {
                return false;
            }

            value = Encoding.UTF8.GetBytes(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Go's base64.StdEncoding.DecodeString: padded standard alphabet; newlines are ignored.</summary>
    private static bool TryStrictBase64(byte[] data, out byte[] decoded)
    {
        decoded = data;
        if (data.Length == 0)
        {
            // An empty string decodes to nothing without error in Go; the content stays empty either way.
            return false;
        }

        foreach (var b in data)
        {
            var ok = b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9')
                or (byte)'+' or (byte)'/' or (byte)'=' or (byte)'\r' or (byte)'\n';
            if (!ok)
            {
                return false;
            }
        }

        try
        {
            decoded = Convert.FromBase64String(Encoding.ASCII.GetString(data).Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>A binding component's error, surfaced by daprd as <c>error invoking output binding {name}: {message}</c>.</summary>
public sealed class BindingOperationException(string message) : Exception(message);
