using System.Text;
using ImageMeta.Contracts;

namespace ImageMeta.Store.Tests;

/// <summary>
/// The shared suite, part three: the name listing the sweep's reconciliation walks (current records of one container in
/// code point order, keyset pages, bounds, long names, the provider's index), and the thumbnails of a save refused by a
/// tombstone.
/// </summary>
public abstract partial class MetadataStoreSuite
{
    /// <summary>Every current name of <paramref name="container"/> between the bounds, read in pages of <paramref name="limit"/>.</summary>
    private static async Task<List<string>> AllNamesAsync(SqlMetadataStore store, string container, int limit, string? after = null, string? through = null)
    {
        var names = new List<string>();
        var pages = 0;
        while (true)
        {
            var page = await store.NamesAsync(container, after, through, limit, default);
            Assert.InRange(page.Items.Count, 0, limit);
            names.AddRange(page.Items.Select(i => i.BlobName));
            pages++;
            Assert.True(pages < 1000, "the keyset pages never ended");
            if (page.NextAfter is null)
            {
                return names;
            }

            after = page.NextAfter;
        }
    }

    /// <summary>Code point order (UTF-8 bytes), the order the store promises.</summary>
    private static List<string> CodePointOrder(IEnumerable<string> names) =>
        names.Order(Comparer<string>.Create((a, b) => Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b)))).ToList();

    [SkippableFact]
    public async Task Names_page_one_containers_current_records_in_code_point_order_with_bounds()
    {
        var store = await Store(new StoreOptions { KeepReplacedVersions = true });
        string[] names = ["b.jpg", "B.jpg", "a/z.jpg", "a.jpg", "ä.jpg", "z.jpg", "日本/写真.jpg", "\U0001F600.jpg", "\uFF21.jpg", "a b.jpg", "a-b.jpg"];
        foreach (var name in names)
        {
            await store.UpsertAsync(SampleRecords.Succeeded(name), default);
        }

        // Another container, and a replaced version kept as history: neither is listed.
        await store.UpsertAsync(SampleRecords.Succeeded("b.jpg", container: "other"), default);
        var replaced = SampleRecords.Succeeded("z.jpg", version: "v2", lastModified: DateTimeOffset.UnixEpoch.AddYears(60));
        await store.UpsertAsync(replaced, default);
        var failed = SampleRecords.Failed("f.jpg", FailureClass.InvalidName);
        await store.UpsertAsync(failed, default);

        var expected = CodePointOrder(names.Append("f.jpg"));
        Assert.Equal(expected, await AllNamesAsync(store, "images", limit: 2));
        Assert.Equal(expected, await AllNamesAsync(store, "images", limit: 1000));
        Assert.Equal(["b.jpg"], await AllNamesAsync(store, "other", limit: 5));
        Assert.Empty(await AllNamesAsync(store, "nobody", limit: 5));
        // (after, through]: the lower bound excluded, the upper included.
        Assert.Equal(expected.SkipWhile(n => n != "a.jpg").Skip(1).TakeWhile(n => n != "b.jpg").Append("b.jpg"), await AllNamesAsync(store, "images", 3, after: "a.jpg", through: "b.jpg"));
        Assert.Equal(expected.SkipWhile(n => n != "z.jpg").Skip(1), await AllNamesAsync(store, "images", 3, after: "z.jpg"));
        Assert.Equal(expected.TakeWhile(n => n != "a b.jpg").Append("a b.jpg"), await AllNamesAsync(store, "images", 3, through: "a b.jpg"));

        var page = await store.NamesAsync("images", "y", "z.jpg", 10, default);
        var row = Assert.Single(page.Items);
        Assert.Equal((replaced.Id, "z.jpg", "v2", (string?)null), (row.Id, row.BlobName, row.BlobVersion, row.FailureClass));
        Assert.Null(page.NextAfter);
        Assert.Equal(FailureClass.InvalidName, (await store.NamesAsync("images", "e", "g", 10, default)).Items.Single().FailureClass);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.NamesAsync("images", null, null, ImageNamesRequest.MaxLimit + 1, default));
    }

    [SkippableFact]
    public async Task Names_of_the_longest_length_are_stored_listed_and_ordered_past_their_first_200_characters()
    {
        var store = await Store();
        // 1,024 characters of three UTF-8 bytes each: beyond what a B-tree entry or index key could hold whole.
        var stem = new string('写', 1000);
        string[] names = [stem + new string('b', 24), stem + new string('a', 24), stem + "a" + new string('写', 23), new string('写', 1024)];
        foreach (var name in names)
        {
            Assert.Equal(UpsertOutcome.Inserted, (await store.UpsertAsync(SampleRecords.Succeeded(name), default)).Outcome);
        }

        var expected = CodePointOrder(names);
        Assert.Equal(expected, await AllNamesAsync(store, "images", limit: 1));
        Assert.Equal(expected.Skip(2), await AllNamesAsync(store, "images", limit: 1, after: expected[1]));
    }

    [SkippableFact]
    public async Task The_name_listing_is_served_by_an_index()
    {
        var store = await Store();
        var plan = await PlanAsync(store, store.NamesCommandText(after: true, through: true));
        Assert.Contains(store.Provider.Name == StoreProviders.Sqlite ? "ix_images_name" : "ix_images_current_name", plan, StringComparison.Ordinal);
    }

    /// <summary>The provider's query plan for a statement with <c>@container</c>, <c>@after</c>, <c>@through</c>, <c>@limit</c> (sequential scans off where the planner would prefer one on an empty table).</summary>
    private static async Task<string> PlanAsync(SqlMetadataStore store, string sql)
    {
        await using var connection = store.Provider.CreateConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = store.Provider.Name == StoreProviders.Sqlite ? "EXPLAIN QUERY PLAN " + sql : "SET enable_seqscan = off; EXPLAIN " + sql;
        foreach (var (name, value) in new (string, object)[] { ("container", "images"), ("after", "a"), ("through", "z"), ("limit", 10) })
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        var plan = new StringBuilder();
        await using var reader = await command.ExecuteReaderAsync();
        do
        {
            while (await reader.ReadAsync())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    plan.Append(reader.GetValue(i)).Append(' ');
                }

                plan.AppendLine();
            }
        }
        while (await reader.NextResultAsync());

        return plan.ToString();
    }

    [SkippableFact]
    public async Task A_save_refused_by_a_tombstone_queues_the_thumbnails_its_run_wrote_after_the_delete()
    {
        var store = await Store();
        var record = SampleRecords.Succeeded("t/late.jpg").WithThumbnail(0x77);
        var names = ImageThumbnail.BlobNamesFor(record.Id);
        // The delete overtook the run: its thumbnail deletions were done (nothing was there yet) and forgotten.
        await store.DeleteAsync(record.Id, default);
        await store.CompleteThumbnailDeletionsAsync(names, default);
        Assert.Empty(await store.DueThumbnailDeletionsAsync(10, default));

        // Then the run wrote its thumbnails and saved.
        var late = await store.UpsertAsync(record, default);

        Assert.Equal(UpsertOutcome.Deleted, late.Outcome);
        Assert.Equal(names, late.ReleasedThumbnails);
        Assert.Equal(names.Order(StringComparer.Ordinal), (await store.DueThumbnailDeletionsAsync(10, default)).Order(StringComparer.Ordinal));
        Assert.Null(await store.GetAsync(record.Id, default));
        Assert.True(await store.IsDeletedAsync(record.Id, default));
    }
}
