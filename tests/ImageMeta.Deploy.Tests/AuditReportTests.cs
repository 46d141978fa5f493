namespace ImageMeta.Deploy.Tests;

/// <summary>
/// scripts/audit-report.mjs, the judge of scripts/audit.sh (run by .ci/run): given the JSON that
/// `dotnet list package --vulnerable` and `npm audit` answer, it fails on high and critical advisories naming their
/// ids, lets moderate ones through as notes, and says "could not run" (exit 3) when the registry served no data.
/// This project's registries serve none, so these answers are written here in the tools' documented shapes.
/// </summary>
public sealed class AuditReportTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("imagemeta-audit-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_critical_transitive_NuGet_advisory_fails_with_its_id()
    {
        var (exit, output) = Report("nuget", """
            { "version": 1, "parameters": "--vulnerable --include-transitive", "sources": [],
              "projects": [ { "path": "/r/services/store/ImageMeta.Store.csproj", "frameworks": [ { "framework": "net10.0",
                "topLevelPackages": [ { "id": "Npgsql", "requestedVersion": "10.0.3", "resolvedVersion": "10.0.3",
                  "vulnerabilities": [ { "severity": "Moderate", "advisoryurl": "https://github.com/advisories/GHSA-aaaa-bbbb-cccc" } ] } ],
                "transitivePackages": [ { "id": "System.Text.Json", "resolvedVersion": "8.0.4",
                  "vulnerabilities": [ { "severity": "Critical", "advisoryurl": "https://github.com/advisories/GHSA-8g4q-xg66-9fp4" } ] } ] } ] } ] }
            """);

        Assert.Equal(1, exit);
        Assert.Contains("FAIL critical GHSA-8g4q-xg66-9fp4 System.Text.Json 8.0.4", output, StringComparison.Ordinal);
        Assert.Contains("note moderate GHSA-aaaa-bbbb-cccc Npgsql 10.0.3", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_moderate_NuGet_advisories_pass()
    {
        var (exit, output) = Report("nuget", """
            { "version": 1, "projects": [ { "path": "/r/a.csproj", "frameworks": [ { "framework": "net10.0",
                "topLevelPackages": [ { "id": "A", "resolvedVersion": "1.0.0",
                  "vulnerabilities": [ { "severity": "Low", "advisoryurl": "https://github.com/advisories/GHSA-1111-2222-3333" } ] } ] } ] } ] }
            """);

        Assert.Equal(0, exit);
        Assert.Contains("note low GHSA-1111-2222-3333", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_NuGet_audit_source_without_vulnerability_data_is_reported_as_not_run()
    {
        // What this project's machines get: the feed mirrors packages but serves no VulnerabilityInfo resource.
        var (exit, output) = Report("nuget", """
            { "version": 1, "parameters": "--vulnerable --include-transitive",
              "problems": [ { "project": "/r/a.csproj", "level": "warning", "text": "Audit source 'nuget.org' did not provide any vulnerability data." } ],
              "projects": [ { "path": "/r/a.csproj" } ] }
            """);

        Assert.Equal(3, exit);
        Assert.Contains("COULD NOT RUN: Audit source 'nuget.org' did not provide any vulnerability data.", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_high_npm_advisory_fails_with_its_id()
    {
        var (exit, output) = Report("npm", """
            { "auditReportVersion": 2,
              "vulnerabilities": {
                "tar": { "name": "tar", "severity": "high", "isDirect": false, "range": "<6.2.1",
                  "via": [ { "source": 1097493, "name": "tar", "title": "Denial of service while parsing a tar file", "url": "https://github.com/advisories/GHSA-f5x3-32g6-xq36", "severity": "high", "range": "<6.2.1" } ] },
                "azurite": { "name": "azurite", "severity": "high", "isDirect": true, "via": [ "tar" ] } },
              "metadata": { "vulnerabilities": { "high": 2, "critical": 0 } } }
            """, "tools/azurite");

        Assert.Equal(1, exit);
        Assert.Contains("npm (tools/azurite): FAIL high GHSA-f5x3-32g6-xq36 tar", output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_npm_registry_without_the_audit_endpoint_is_reported_as_not_run()
    {
        // npm audit --json on this project's machines: the registry mirror refuses the bulk advisory endpoint.
        var (exit, output) = Report("npm", """
            { "message": "405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk", "statusCode": 405, "body": "" }
            """, "tools/azurite");

        Assert.Equal(3, exit);
        Assert.Contains("COULD NOT RUN: the registry answered no audit: 405 Method Not Allowed", output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_answer_that_is_not_json_is_not_taken_for_a_clean_audit()
    {
        var (exit, output) = Report("nuget", "error: the solution could not be restored");

        Assert.Equal(3, exit);
        Assert.Contains("COULD NOT RUN: the answer is not JSON", output, StringComparison.Ordinal);
    }

    private (int Exit, string Output) Report(string kind, string answer, string? label = null)
    {
        var file = Path.Combine(_folder, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(file, answer);
        string[] arguments = label is null
            ? [Path.Combine(Manifests.Root, "scripts", "audit-report.mjs"), kind, file]
            : [Path.Combine(Manifests.Root, "scripts", "audit-report.mjs"), kind, file, label];
        var (exitCode, output, error) = Manifests.Run("node", arguments, stdin: null);
        return (exitCode, output + error);
    }
}
