using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.Testing.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImageMeta.Store.Tests;

/// <summary>The store service over HTTP, on its embedded SQLite default in a temp folder.</summary>
public sealed class ImagesApiTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("imagemeta-store-api-").FullName;
    private readonly WebApplicationFactory<Program> _factory;
    private readonly HttpClient _client;

    public ImagesApiTests()
    {
        _factory = new ServiceHost<Program>().With("Store:DataDirectory", _folder).WithLogs();
        _client = _factory.CreateClient();
    }

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private Task<HttpResponseMessage> Put(ImageRecord record, string? routeId = null) =>
        _client.PutAsync($"/images/{routeId ?? record.Id.Value}", new StringContent(JsonSerializer.Serialize(record, ContractJson.Options), Encoding.UTF8, "application/json"));

    [Fact]
    public async Task Put_creates_then_is_idempotent_and_get_reads_it_back()
    {
        var record = SampleRecords.Succeeded("api/a.jpg");

        var created = await Put(record);
        var again = await Put(record);
        var read = await _client.GetFromJsonAsync<ImageRecord>($"/images/{record.Id}", ContractJson.Options);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("unchanged", again.Headers.GetValues("X-Upsert-Outcome").Single());
        Assert.Equal(record, read);
        Assert.True(File.Exists(Path.Combine(_folder, "metadata.db")));
    }

    [Fact]
    public async Task Bad_requests_get_400_and_change_nothing()
    {
        var good = SampleRecords.Succeeded("api/b.jpg");
        var other = SampleRecords.Succeeded("api/c.jpg");
        var negative = good with { Metadata = good.Metadata! with { Width = -5 } };
        var inconsistent = good with { Failure = new ProcessingFailure(FailureClass.Corrupt, "x") };
        var forged = good with { Blob = good.Blob with { Name = "api/elsewhere.jpg" } };

        var responses = new[]
        {
            await _client.PutAsync($"/images/{good.Id}", new StringContent("{not json", Encoding.UTF8, "application/json")),
            await _client.PutAsync($"/images/{good.Id}", new StringContent("{}", Encoding.UTF8, "application/json")),
            await Put(good, routeId: other.Id.Value),
            await Put(negative),
            await Put(inconsistent),
            await Put(forged),
        };

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        Assert.All(responses, r => Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType));
        var stats = await _client.GetFromJsonAsync<JsonElement>("/images/stats");
        Assert.Equal(0, stats.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Get_answers_404_for_unknown_and_400_for_malformed_ids()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/images/{new string('a', 32)}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.GetAsync("/images/..%2Fetc")).StatusCode);
    }

    [Fact]
    public async Task List_filters_pages_with_a_cursor_and_caps_the_limit()
    {
        for (var i = 0; i < 7; i++)
        {
            await Put(SampleRecords.Succeeded($"api/list/{i}.jpg", width: 100 * (i + 1)));
        }

        await Put(SampleRecords.Failed("api/list/bad.jpg"));
        var names = new List<string>();
        string? cursor = null;
        do
        {
            var page = await _client.GetFromJsonAsync<JsonElement>($"/images?status=succeeded&minWidth=200&limit=2{(cursor is null ? string.Empty : "&cursor=" + cursor)}");
            names.AddRange(page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("blob").GetProperty("name").GetString()!));
            cursor = page.TryGetProperty("nextCursor", out var next) ? next.GetString() : null;
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Range(1, 6).Reverse().Select(i => $"api/list/{i}.jpg"), names);
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.GetAsync("/images?cursor=bogus")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.GetAsync("/images?minWidth=-3")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.GetAsync("/images?status=maybe")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/images?limit=100000")).StatusCode);
    }

    [Fact]
    public async Task Has_gps_filters_over_http_and_a_value_other_than_true_or_false_is_a_400_naming_it()
    {
        var located = SampleRecords.Succeeded("api/gps/located.jpg");
        var plain = SampleRecords.Succeeded("api/gps/plain.jpg", make: null, model: null, takenAt: null);
        await Put(located);
        await Put(plain);

        async Task<string[]> Names(string query) => (await _client.GetFromJsonAsync<JsonElement>($"/images?{query}"))
            .GetProperty("items").EnumerateArray().Select(r => r.GetProperty("blob").GetProperty("name").GetString()!).ToArray();

        Assert.Equal(["api/gps/located.jpg"], await Names("hasGps=true"));
        Assert.Equal(["api/gps/plain.jpg"], await Names("hasGps=false"));
        Assert.Equal(["api/gps/plain.jpg", "api/gps/located.jpg"], await Names("hasGps="));
        foreach (var bad in new[] { "maybe", "1", "yes" })
        {
            var response = await _client.GetAsync($"/images?hasGps={bad}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
            Assert.Contains("'true'", errors.GetProperty("hasGps")[0].GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Stats_answer_counts_and_bytes()
    {
        await Put(SampleRecords.Succeeded("api/s1.jpg", bytes: 10));
        await Put(SampleRecords.Succeeded("api/s2.png", format: ImageFormats.Png, bytes: 5));
        await Put(SampleRecords.Failed("api/s3.jpg"));

        var stats = await _client.GetFromJsonAsync<JsonElement>("/images/stats");

        Assert.Equal(3, stats.GetProperty("total").GetInt64());
        Assert.Equal(1, stats.GetProperty("byFormat").GetProperty("png").GetInt64());
        Assert.Equal(1, stats.GetProperty("byStatus").GetProperty("failed").GetInt64());
        Assert.Equal(25, stats.GetProperty("totalBytes").GetInt64());
    }

    [Fact]
    public async Task Every_problem_carries_the_failure_class_of_its_status()
    {
        var noHash = SampleRecords.Succeeded("api/problems/no-hash.jpg");
        await Put(noHash);
        var bad = SampleRecords.Succeeded("api/problems/bad.jpg") with { Status = "maybe" };
        var answers = new (Task<HttpResponseMessage> Call, HttpStatusCode Status, string Class)[]
        {
            (_client.GetAsync("/images?minWidth=-1"), HttpStatusCode.BadRequest, FailureClass.InvalidRequest),
            (_client.GetAsync("/images?cursor=forged"), HttpStatusCode.BadRequest, FailureClass.InvalidRequest),
            (_client.GetAsync("/images/positions?bbox=1,2"), HttpStatusCode.BadRequest, FailureClass.InvalidRequest),
            (_client.GetAsync("/images/not-an-id"), HttpStatusCode.BadRequest, FailureClass.InvalidRequest),
            (_client.GetAsync($"/images/{SampleRecords.Succeeded("api/problems/unknown.jpg").Id}"), HttpStatusCode.NotFound, FailureClass.NotFound),
            (_client.GetAsync($"/images/{noHash.Id}/similar"), HttpStatusCode.Conflict, FailureClass.InvalidRequest),
            (Put(bad), HttpStatusCode.BadRequest, FailureClass.InvalidRequest),
            (_client.PostAsync("/images/lookup", new StringContent("{\"ids\": 5}", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, FailureClass.InvalidRequest),
        };

        foreach (var (call, status, failureClass) in answers)
        {
            using var response = await call;
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(failureClass, problem.GetProperty(FailureClass.ProblemMember).GetString());
        }
    }

    [Fact]
    public async Task A_database_outage_answers_503_so_callers_retry()
    {
        using var factory = _factory.WithWebHostBuilder(host => host.ConfigureServices(services =>
            services.Replace(ServiceDescriptor.Singleton<IMetadataStore>(StoreStandIn.Unreachable()))));
        var client = factory.CreateClient();

        var response = await client.PutAsync($"/images/{SampleRecords.Succeeded("x.jpg").Id}",
            new StringContent(JsonSerializer.Serialize(SampleRecords.Succeeded("x.jpg"), ContractJson.Options), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Records_the_databases_could_not_hold_get_400_and_change_nothing()
    {
        var good = SampleRecords.Succeeded("api/hostile.jpg");
        var nul = SampleRecords.Succeeded("api/nul\0.jpg");
        var huge = SampleRecords.Succeeded("api/huge.jpg", bytes: 1L << 62);
        var longColor = good with { Metadata = good.Metadata! with { ColorType = new string('c', 1_000_000) } };
        var lol = good with { Metadata = good.Metadata! with { Exif = good.Metadata.Exif! with { TakenAt = "2024-05-01T14:03:07 lol" } } };

        var responses = new[] { await Put(nul), await Put(huge), await Put(longColor), await Put(lol) };

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        Assert.All(responses, r => Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType));
        Assert.Equal(0, (await _client.GetFromJsonAsync<JsonElement>("/images/stats")).GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task A_date_only_taken_range_returns_the_pictures_of_that_day()
    {
        await Put(SampleRecords.Succeeded("api/day/before.jpg", takenAt: "2024-05-10T23:59:59"));
        await Put(SampleRecords.Succeeded("api/day/noon.jpg", takenAt: "2024-05-11T12:00:00+02:00"));
        await Put(SampleRecords.Succeeded("api/day/late.jpg", takenAt: "2024-05-11T23:59:59"));
        await Put(SampleRecords.Succeeded("api/day/after.jpg", takenAt: "2024-05-12T00:00:00"));

        var page = await _client.GetFromJsonAsync<JsonElement>("/images?takenFrom=2024-05-11&takenTo=2024-05-11");

        Assert.Equal(["api/day/late.jpg", "api/day/noon.jpg"], page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("blob").GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.GetAsync("/images?takenTo=2024-05-11T10:00:00%2B02:00")).StatusCode);
    }

    [Theory]
    [InlineData(StoreProviders.Postgres, "Host=127.0.0.1;Port=9;Username=u;Password=p;Database=d;Timeout=3")]
    [InlineData(StoreProviders.SqlServer, "Server=tcp:127.0.0.1,9;Database=d;User Id=u;Password=p;Connect Timeout=3;Encrypt=False")]
    [InlineData(StoreProviders.Sqlite, "Data Source=/nonexistent-imagemeta/folder/metadata.db;Mode=ReadOnly")]
    public async Task The_503_answer_names_no_database_host_or_port(string provider, string connectionString)
    {
        var unreachable = new SqlMetadataStore(StoreProvider.Create(new StoreOptions { Provider = provider }, connectionString, _folder));
        using var factory = _factory.WithWebHostBuilder(host => host.ConfigureServices(services =>
            services.Replace(ServiceDescriptor.Singleton<IMetadataStore>(StoreStandIn.NeverMigrated(unreachable)))));
        var client = factory.CreateClient();

        var response = await client.GetAsync("/images/stats");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.DoesNotContain("127.0.0.1", body, StringComparison.Ordinal);
        Assert.DoesNotContain(":9", body, StringComparison.Ordinal);
        Assert.DoesNotContain(",9", body, StringComparison.Ordinal);
        Assert.DoesNotContain("nonexistent-imagemeta", body, StringComparison.Ordinal);
        Assert.Contains("retry", body, StringComparison.Ordinal);
    }
}
