using System.Reflection;

namespace ImageMeta.Cli.Tests;

/// <summary><c>imagemeta --version</c>, run as the built program, prints the version the build took from git.</summary>
public sealed class VersionOptionTests
{
    [Fact]
    public async Task Version_prints_the_git_derived_informational_version_and_exits_0()
    {
        var stamped = typeof(ScanCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        Assert.NotNull(stamped);
        // MinVer's form: X.Y.Z, or X.Y.Z-pre.height, then +<40-hex commit> from the SDK.
        Assert.Matches(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?\+[0-9a-f]{40}$", stamped);

        using var cli = CliProcess.Start([.. CliProcess.Program, "--version"]);
        var output = await cli.Output.ReadToEndAsync();
        var exit = await cli.WaitAsync(CliProcess.Bound);

        Assert.Equal(0, exit);
        // The whole informational version, or (as System.CommandLine's version option may print) its part before '+'.
        Assert.Contains(output.Trim(), new[] { stamped, stamped.Split('+')[0] });
        Assert.Equal(string.Empty, await cli.ErrorAsync());
    }
}
