using Dapr.Client;
using Microsoft.Extensions.Options;

namespace ImageMeta.Blobs.Tests;

/// <summary>
/// How the local-storage adapter turns the absolute paths daprd's <c>list</c> answers into blob names, with a real
/// folder and a real symbolic link (daprd resolves links in rootPath; the app may be told the linked spelling).
/// </summary>
public sealed class LocalStorageNamingTests : IDisposable
{
    private readonly DirectoryInfo _real = Directory.CreateTempSubdirectory("imagemeta-real-");
    private readonly string _link;

    public LocalStorageNamingTests()
    {
        _link = _real.FullName + "-link";
        Directory.CreateSymbolicLink(_link, _real.FullName);
    }

    private static LocalStorageBlobBinding Binding(string root) => new(new NoInvoker(), Options.Create(new BlobBindingOptions { LocalRootPath = root }));

    [Fact]
    public void Paths_under_the_root_become_relative_names_and_others_are_not_ours()
    {
        var binding = Binding(_real.FullName);

        Assert.Equal("a/b.jpg", binding.NameOf(Path.Combine(_real.FullName, "a", "b.jpg")));
        Assert.Null(binding.NameOf("/elsewhere/b.jpg"));
        Assert.Null(binding.NameOf(_real.FullName + "-other/b.jpg"));
    }

    [Fact]
    public void A_root_given_through_a_symbolic_link_matches_the_resolved_paths_daprd_lists()
    {
        var binding = Binding(_link);

        Assert.Equal("c.png", binding.NameOf(Path.Combine(_real.FullName, "c.png")));
        Assert.Equal("c.png", binding.NameOf(Path.Combine(_link, "c.png")));
        Assert.Equal(_real.FullName, LocalStorageBlobBinding.WithoutLinks(_link));
    }

    [Fact]
    public void A_relative_root_is_taken_from_the_working_directory_as_daprd_does()
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, _real.FullName);

        Assert.Equal("d.gif", Binding(relative).NameOf(Path.Combine(_real.FullName, "d.gif")));
    }

    public void Dispose()
    {
        Directory.Delete(_link);
        _real.Delete(recursive: true);
    }

    private sealed class NoInvoker : IBindingInvoker
    {
        public Task<BindingResponse> InvokeAsync(BindingRequest request, CancellationToken cancellationToken) =>
            throw new NotSupportedException("Naming needs no binding calls.");
    }
}
