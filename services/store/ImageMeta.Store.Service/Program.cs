using ImageMeta.ServiceDefaults;
using ImageMeta.Store.Service;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddStore();

var app = builder.Build();
app.UseServiceDefaults();
app.MapImagesApi();
return app.RunStore();

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
