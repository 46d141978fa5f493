using System.Runtime.InteropServices;

namespace ImageMeta.Cli;

/// <summary>
/// The few libc calls the Linux scan needs, with file names as raw bytes.
/// </summary>
/// <remarks>
/// Why our own bindings: .NET 10 decodes every Linux file name as UTF-8 with replacement, so a name holding
/// byte 0xFF comes back as U+FFFD and can no longer be opened (dotnet/runtime#76877, #102764, #513, all
/// open), and it has no API taking or returning a name as bytes. Of the packages served, Tmds.LibC has no
/// opendir/readdir, and Mono.Unix is a pre-release that ships its own native library; neither fits a
/// NativeAOT tool. These bindings use only calls whose layouts are the same on every 64-bit Linux
/// (glibc 2.28+ or musl): statx's struct is architecture-independent, and readdir's dirent is
/// {ino64, off64, u16 reclen, u8 type, name} on x64 and arm64 alike.
/// </remarks>
internal static unsafe partial class Libc
{
    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtEmptyPath = 0x1000;
    public const uint StatxBasicStats = 0x7ff;

    // Same values on x86_64 and aarch64 (O_DIRECTORY and O_NOFOLLOW differ, so they are not used).
    public const int OpenReadOnly = 0;
    public const int OpenNoCtty = 0x100;
    public const int OpenNonBlock = 0x800;
    public const int OpenCloseOnExec = 0x80000;
    private const int FcntlGetFlags = 3;
    private const int FcntlSetFlags = 4;

    public const int TypeMask = 0xF000;
    public const int TypeRegular = 0x8000;
    public const int TypeDirectory = 0x4000;
    public const int TypeSymbolicLink = 0xA000;
    public const int TypeFifo = 0x1000;
    public const int TypeSocket = 0xC000;
    public const int TypeCharacterDevice = 0x2000;
    public const int TypeBlockDevice = 0x6000;

    public const int ErrorNoEntry = 2;
    public const int ErrorLoop = 40;

    private const int DirentTypeOffset = 18;
    private const int DirentNameOffset = 19;
    private const byte DirentSymbolicLink = 10;

    /// <summary>Whether this process can use these bindings (64-bit Linux).</summary>
    public static bool Usable => OperatingSystem.IsLinux() && IntPtr.Size == 8;

    /// <summary>What statx says about one path: the fields the scan uses.</summary>
    public readonly record struct FileStatus(int Type, ulong Device, ulong Inode);

    /// <summary>Stats a path (following links unless told not to); the error number on failure.</summary>
    public static int Stat(int directory, ReadOnlySpan<byte> path, bool followLinks, out FileStatus status)
    {
        var buffer = stackalloc byte[256];
        int result;
        fixed (byte* name = Terminated(path))
        {
            result = statx(directory, name, followLinks ? 0 : AtSymlinkNoFollow, StatxBasicStats, buffer);
        }

        if (result != 0)
        {
            status = default;
            return Marshal.GetLastPInvokeError();
        }

        status = Read(buffer);
        return 0;
    }

    /// <summary>Stats an open descriptor.</summary>
    public static int Stat(SafeHandle file, out FileStatus status)
    {
        var buffer = stackalloc byte[256];
        var empty = stackalloc byte[1];
        empty[0] = 0;
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            if (statx((int)file.DangerousGetHandle(), empty, AtEmptyPath, StatxBasicStats, buffer) != 0)
            {
                status = default;
                return Marshal.GetLastPInvokeError();
            }
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }

        status = Read(buffer);
        return 0;
    }

    /// <summary>
    /// Opens a path for reading without ever blocking (a FIFO that appeared since it was stat'ed opens at
    /// once instead of waiting for a writer), then makes reads blocking again; the descriptor, or -1.
    /// </summary>
    public static int OpenForReading(ReadOnlySpan<byte> path, out int error)
    {
        fixed (byte* name = Terminated(path))
        {
            var file = open(name, OpenReadOnly | OpenNonBlock | OpenNoCtty | OpenCloseOnExec, 0);
            error = file < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (file >= 0)
            {
                var flags = fcntl(file, FcntlGetFlags, 0);
                if (flags >= 0)
                {
                    _ = fcntl(file, FcntlSetFlags, flags & ~OpenNonBlock);
                }
            }

            return file;
        }
    }

    /// <summary>Opens a folder for listing; zero and the error number on failure.</summary>
    public static nint OpenDirectory(ReadOnlySpan<byte> path, out int error)
    {
        fixed (byte* name = Terminated(path))
        {
            var directory = opendir(name);
            error = directory == 0 ? Marshal.GetLastPInvokeError() : 0;
            return directory;
        }
    }

    /// <summary>The next entry's name (never "." or ".."), or false at the end (error is then 0) or on an error.</summary>
    public static bool ReadDirectory(nint directory, out byte[] name, out bool isLink, out int error)
    {
        while (true)
        {
            var entry = (byte*)readdir(directory);
            if (entry == null)
            {
                error = Marshal.GetLastPInvokeError();
                name = [];
                isLink = false;
                return false;
            }

            var span = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry + DirentNameOffset);
            if (span is [(byte)'.'] or [(byte)'.', (byte)'.'])
            {
                continue;
            }

            name = span.ToArray();
            isLink = entry[DirentTypeOffset] == DirentSymbolicLink;
            error = 0;
            return true;
        }
    }

    public static void CloseDirectory(nint directory) => _ = closedir(directory);

    /// <summary>The system's message for an error number ("Permission denied").</summary>
    public static string Message(int error) => Marshal.GetPInvokeErrorMessage(error);

    private static FileStatus Read(byte* buffer) => new(
        *(ushort*)(buffer + 28) & TypeMask,
        ((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140),
        *(ulong*)(buffer + 32));

    private static byte[] Terminated(ReadOnlySpan<byte> path)
    {
        var terminated = new byte[path.Length + 1];
        path.CopyTo(terminated);
        return terminated;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int statx(int dirfd, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int open(byte* path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int file, int command, int argument);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint opendir(byte* path);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint readdir(nint directory);

    [LibraryImport("libc")]
    private static partial int closedir(nint directory);
}
