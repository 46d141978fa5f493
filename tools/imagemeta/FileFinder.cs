namespace ImageMeta.Cli;

/// <summary>
/// Turns the paths named on the command line into the regular files to scan. On Linux it works on raw
/// names (see <see cref="Libc"/>), never opens anything but folders, follows symbolic links to files and
/// folders, and enters each folder once (a link back to a folder already entered is reported, not
/// followed). What it skips it reports through <see cref="Notice"/> (exit code unchanged); what it cannot
/// read through <see cref="Failure"/> (exit code 1).
/// </summary>
public sealed class FileFinder(Action<string> notice, Action<string> failure)
{
    /// <summary>
    /// One file to scan: where it is, and how to name it in the output. A scan of a folder holds one of these per file
    /// until the file's line is written, so it keeps only the path's bytes (the name shown is the path's tail when the
    /// file was found in a folder): 100,000 files cost a few MB rather than the 40 MB two <see cref="FilePath"/>s
    /// each (bytes and text twice) would hold. The paths are made when the file is scanned and when its line is written.
    /// </summary>
    public sealed class Target
    {
        private readonly byte[] _path;
        private readonly byte[]? _display;
        private readonly int _displayStart;

        public Target(FilePath path, FilePath display)
        {
            ArgumentNullException.ThrowIfNull(path);
            ArgumentNullException.ThrowIfNull(display);
            _path = path.Bytes;
            if (path.Bytes.AsSpan().EndsWith(display.Bytes))
            {
                _displayStart = path.Bytes.Length - display.Bytes.Length;
            }
            else
            {
                _display = display.Bytes;
            }
        }

        public FilePath Path => FilePath.FromBytes(_path);

        public FilePath Display => FilePath.FromBytes(_display ?? _path[_displayStart..]);
    }

    public Action<string> Notice { get; } = notice;

    public Action<string> Failure { get; } = failure;

    /// <summary>
    /// Files named directly keep their path as given; files found in a folder are named relative to it and
    /// come in byte order of that name, whatever order the folder lists them in.
    /// </summary>
    public List<Target> Find(IEnumerable<FilePath> paths, CancellationToken cancellationToken) =>
        Libc.Usable ? FindRaw(paths, cancellationToken) : FindManaged(paths, cancellationToken);

    private List<Target> FindRaw(IEnumerable<FilePath> paths, CancellationToken cancellationToken)
    {
        var targets = new List<Target>();
        foreach (var path in paths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var error = Libc.Stat(Libc.AtFdCwd, path.Bytes, followLinks: true, out var status);
            if (error == Libc.ErrorNoEntry && Libc.Stat(Libc.AtFdCwd, path.Bytes, followLinks: false, out _) != 0)
            {
                Failure($"no such file or folder: {path}");
            }
            else if (error != 0)
            {
                LinkProblem(path, error, isLink: true, topLevel: true);
            }
            else if (status.Type == Libc.TypeRegular)
            {
                targets.Add(new Target(path, path));
            }
            else if (status.Type == Libc.TypeDirectory)
            {
                var found = new List<Target>();
                var entered = new Dictionary<(ulong, ulong), FilePath> { [(status.Device, status.Inode)] = path };
                Walk(path, null, [(status.Device, status.Inode)], entered, found, cancellationToken);
                found.Sort((a, b) => a.Display.Bytes.AsSpan().SequenceCompareTo(b.Display.Bytes));
                targets.AddRange(found);
            }
            else
            {
                Skipped(path, status.Type);
            }
        }

        return targets;
    }

    private void Walk(FilePath folder, FilePath? relative, HashSet<(ulong, ulong)> ancestors, Dictionary<(ulong, ulong), FilePath> entered,
        List<Target> found, CancellationToken cancellationToken)
    {
        var directory = Libc.OpenDirectory(folder.Bytes, out var openError);
        if (directory == 0)
        {
            Failure($"cannot read folder {folder}: {Libc.Message(openError)}");
            return;
        }

        // Entries are read to the end before descending, so one descriptor is open per level at most briefly.
        var entries = new List<(byte[] Name, bool IsLink)>();
        try
        {
            int readError;
            while (Libc.ReadDirectory(directory, out var name, out var isLink, out readError))
            {
                cancellationToken.ThrowIfCancellationRequested();
                entries.Add((name, isLink));
            }

            if (readError != 0)
            {
                Failure($"cannot read folder {folder}: {Libc.Message(readError)}");
            }
        }
        finally
        {
            Libc.CloseDirectory(directory);
        }

        // In name order, so which of two links to one folder enters it does not depend on the listing order.
        entries.Sort((a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
        foreach (var (name, isLink) in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = folder.Join(name);
            var display = relative is null ? FilePath.FromBytes(name) : relative.Join(name);
            var error = Libc.Stat(Libc.AtFdCwd, path.Bytes, followLinks: true, out var status);
            if (error != 0)
            {
                LinkProblem(path, error, isLink, topLevel: false);
            }
            else if (status.Type == Libc.TypeRegular)
            {
                found.Add(new Target(path, display));
            }
            else if (status.Type == Libc.TypeDirectory)
            {
                var id = (status.Device, status.Inode);
                if (ancestors.Contains(id))
                {
                    Notice($"skipped {path}: a symbolic link loop back to {entered[id]}");
                }
                else if (entered.TryGetValue(id, out var first))
                {
                    Notice($"skipped {path}: the same folder as {first}, already scanned");
                }
                else
                {
                    entered[id] = path;
                    ancestors.Add(id);
                    Walk(path, display, ancestors, entered, found, cancellationToken);
                    ancestors.Remove(id);
                }
            }
            else
            {
                Skipped(path, status.Type);
            }
        }
    }

    /// <summary>
    /// A path that cannot be stat'ed. Inside a folder, a dangling link, a link loop or an entry gone since
    /// the listing is skipped with a notice; anything else, and any problem with a path named directly, fails.
    /// </summary>
    private void LinkProblem(FilePath path, int error, bool isLink, bool topLevel)
    {
        var what = error switch
        {
            Libc.ErrorNoEntry when isLink => "a symbolic link to nothing",
            Libc.ErrorLoop => "a symbolic link loop",
            _ => Libc.Message(error),
        };
        if (!topLevel && error is Libc.ErrorNoEntry or Libc.ErrorLoop)
        {
            Notice($"skipped {path}: {what}");
        }
        else
        {
            Failure($"cannot read {path}: {what}");
        }
    }

    private void Skipped(FilePath path, int type) => Notice($"skipped {path}: not a regular file ({type switch
    {
        Libc.TypeFifo => "a FIFO",
        Libc.TypeSocket => "a socket",
        Libc.TypeCharacterDevice => "a character device",
        Libc.TypeBlockDevice => "a block device",
        _ => "an unknown kind",
    }})");

    /// <summary>
    /// Elsewhere than 64-bit Linux: .NET's own enumeration (Windows names are UTF-16 and lossless there;
    /// other systems keep the behaviour the raw path has only where .NET can see it).
    /// </summary>
    private List<Target> FindManaged(IEnumerable<FilePath> paths, CancellationToken cancellationToken)
    {
        var targets = new List<Target>();
        foreach (var path in paths)
        {
            var text = path.Text;
            if (File.Exists(text))
            {
                targets.Add(new Target(path, path));
            }
            else if (Directory.Exists(text))
            {
                var files = Directory.EnumerateFiles(text, "*", new EnumerationOptions
                {
                    RecurseSubdirectories = true,
                    IgnoreInaccessible = false,
                    AttributesToSkip = FileAttributes.ReparsePoint | FileAttributes.Device,
                });
                try
                {
                    foreach (var file in files.Order(StringComparer.Ordinal))
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        targets.Add(new Target(FilePath.FromText(file), FilePath.FromText(Path.GetRelativePath(text, file).Replace('\\', '/'))));
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Failure($"cannot read folder {text}: {e.Message}");
                }
            }
            else
            {
                Failure($"no such file or folder: {text}");
            }
        }

        return targets;
    }
}
