using ImageMeta.Ingest.Service;
using ImageMeta.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddIngest();

var app = builder.Build();
app.UseServiceDefaults();
app.MapImagesApi();
app.MapReprocessingApi();
app.MapBindingsApi();
app.Run();

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
