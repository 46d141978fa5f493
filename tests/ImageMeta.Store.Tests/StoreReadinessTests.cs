using System.Net;
using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.Testing.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImageMeta.Store.Tests;

/// <summary>Readiness means a write can succeed, and a data folder the store cannot write stops the start with a typed, logged reason.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class StoreReadinessTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("imagemeta-store-ready-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var path in Directory.EnumerateFileSystemEntries(_folder, "*", SearchOption.AllDirectories).Append(_folder))
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Readiness_is_unhealthy_while_the_sqlite_file_is_read_only_and_leaves_no_probe_row_when_writable()
    {
        var file = Path.Combine(_folder, "metadata.db");
        var writable = new SqlMetadataStore(new SqliteStoreProvider(new SqliteConnectionStringBuilder { DataSource = file }.ToString()));
        await writable.MigrateAsync(default);
        // Root ignores file modes, so the file is also opened read-only, which SQLite then enforces for any user.
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var readOnly = new SqlMetadataStore(new SqliteStoreProvider(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly }.ToString()));

        using (var factory = Host(readOnly))
        {
            var client = factory.CreateClient();
            var record = SampleRecords.Succeeded("ready/a.jpg");
            var put = await client.PutAsync($"/images/{record.Id}", new StringContent(JsonSerializer.Serialize(record, ContractJson.Options), Encoding.UTF8, "application/json"));

            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/images/stats")).StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, put.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz")).StatusCode);
        }

        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var factory = Host(writable))
        {
            Assert.Equal(HttpStatusCode.OK, (await factory.CreateClient().GetAsync("/readyz")).StatusCode);
        }

        await using var connection = writable.Provider.CreateConnection();
        await connection.OpenAsync();
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM store_state WHERE name = 'readiness-probe'";
        Assert.Equal(0L, Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_read_only_data_folder_ends_the_process_with_a_typed_error_logged_as_one_line_not_a_crash()
    {
        var folder = ReadOnlyFolder();
        // The service as it is deployed, a process of its own: what matters is how it ends, which a test host cannot show.
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "ImageMeta.Store.Service.dll")])
        {
            WorkingDirectory = _folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["Store__DataDirectory"] = folder;
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(bound.Token);

        var log = await output + await errors;
        Assert.Equal(1, process.ExitCode);
        Assert.Contains($"The store cannot start: The SQLite data folder '{folder}' is not writable", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrating_into_a_read_only_folder_throws_the_typed_startup_error_naming_it()
    {
        var folder = ReadOnlyFolder();
        var store = new SqlMetadataStore(new SqliteStoreProvider(new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "metadata.db") }.ToString()));

        var error = await Assert.ThrowsAsync<StoreStartupException>(() => store.MigrateAsync(default));

        Assert.Contains(folder, error.Message, StringComparison.Ordinal);
        Assert.Contains("not writable", error.Message, StringComparison.Ordinal);
    }

    private ServiceHost<Program> Host(IMetadataStore store) =>
        new ServiceHost<Program>().With("Store:DataDirectory", _folder)
            .WithServices(services => services.Replace(ServiceDescriptor.Singleton(StoreStandIn.NeverMigrated(store))));

    /// <summary>A folder no file can be created in: mode 555, or, where that binds nobody (root), /sys, which refuses even root.</summary>
    private string ReadOnlyFolder()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_folder, "read-only")).FullName;
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        try
        {
            File.Create(Path.Combine(folder, "probe")).Dispose();
            File.Delete(Path.Combine(folder, "probe"));
            return "/sys";
        }
        catch (UnauthorizedAccessException)
        {
            return folder;
        }
    }
}
