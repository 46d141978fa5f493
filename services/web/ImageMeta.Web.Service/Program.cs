using ImageMeta.ServiceDefaults;
using ImageMeta.Web.Service;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddWeb();

var app = builder.Build();
// People call these pages directly, never the sidecar: APP_API_TOKEN does not guard them.
app.UseServiceDefaults(sidecarFacing: false);
app.UseWeb();
app.Run();

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
