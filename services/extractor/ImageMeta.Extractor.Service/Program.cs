using ImageMeta.Extractor.Service;
using ImageMeta.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddExtractor();

var app = builder.Build();
app.UseServiceDefaults();
app.MapAnalyzeApi();
app.MapExtractApi();
app.MapThumbnailApi();
app.Run();

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
