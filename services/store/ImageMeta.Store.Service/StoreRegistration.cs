using ImageMeta.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Trace;

namespace ImageMeta.Store.Service;

/// <summary>
/// The store's registrations: provider chosen by <c>Store:Provider</c>, schema migrated before the app serves, the thumbnails
/// (read and delete) and images (read) bindings, background maintenance, query validation, SQL tracing, store metrics,
/// readiness on the database.
/// </summary>
public static partial class StoreRegistration
{
    public static WebApplicationBuilder AddStore(this WebApplicationBuilder builder)
    {
        builder.ListenOnAppPort(ImageMeta.Contracts.DaprTopology.AppPorts.Store);

        builder.Services.AddOptions<StoreOptions>()
            .Bind(builder.Configuration.GetSection(StoreOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.Provider == StoreProviders.Sqlite || !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(StoreOptions.ConnectionStringName)),
                "ConnectionStrings:Metadata is required for the postgres and sqlserver providers.")
            .ValidateOnStart();
        builder.Services.AddSingleton(services => StoreProvider.Create(
            services.GetRequiredService<IOptions<StoreOptions>>().Value,
            builder.Configuration.GetConnectionString(StoreOptions.ConnectionStringName),
            builder.Environment.ContentRootPath));
        builder.Services.AddSingleton<StoreMetrics>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IMetadataStore>(services => new SqlMetadataStore(
            services.GetRequiredService<StoreProvider>(),
            services.GetRequiredService<StoreMetrics>(),
            services.GetRequiredService<IOptions<StoreOptions>>().Value,
            services.GetRequiredService<TimeProvider>()));
        builder.Services.AddHostedService<SchemaMigration>();
        builder.Services.AddSingleton<ThumbnailDeletions>();
        builder.Services.AddSingleton<StoreMaintenance>();
        builder.Services.AddHostedService(services => services.GetRequiredService<StoreMaintenance>());
        // Minimal-API validation of the [AsParameters] query records (ImageQueries.cs). Its error keys are the records'
        // property names (MinWidth); the problem names them as the query does (minWidth), as the messages do.
        builder.Services.AddValidation();
        builder.Services.Configure<ProblemDetailsOptions>(options =>
        {
            var earlier = options.CustomizeProblemDetails;
            options.CustomizeProblemDetails = context =>
            {
                earlier?.Invoke(context);
                if (context.ProblemDetails is HttpValidationProblemDetails validation)
                {
                    var errors = validation.Errors.ToList();
                    validation.Errors.Clear();
                    foreach (var (key, messages) in errors)
                    {
                        validation.Errors[System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(key)] = messages;
                    }
                }
            };
        });
        builder.Services.AddStoreBlobBindings(builder.Configuration);
        builder.Services.AddOptions<OriginalReadOptions>()
            .Bind(builder.Configuration.GetSection(StoreBlobBindings.ImagesSection))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<OriginalReads>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [HealthEndpoints.ReadyTag]);
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddNpgsql().AddSqlClientInstrumentation());
        return builder;
    }

    /// <summary>
    /// Runs the app. A <see cref="StoreStartupException"/> (logged as one line by the schema migration) ends the process
    /// with exit code 1, instead of the runtime's unhandled-exception crash.
    /// </summary>
    public static int RunStore(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        try
        {
            app.Run();
            return 0;
        }
        catch (StoreStartupException)
        {
            return 1;
        }
    }

    /// <summary>
    /// Creates or upgrades the schema before the app starts serving. A failure stops the host with a
    /// <see cref="StoreStartupException"/> whose message says what failed, logged as one critical line.
    /// </summary>
    private sealed partial class SchemaMigration(IMetadataStore store, ILogger<SchemaMigration> logger) : IHostedService
    {
        [LoggerMessage(Level = LogLevel.Critical, Message = "The store cannot start: {Reason}")]
        private static partial void CannotStart(ILogger logger, string reason);

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            try
            {
                await store.MigrateAsync(cancellationToken);
            }
            catch (Exception e) when (e is StoreStartupException or StoreUnavailableException or InvalidOperationException)
            {
                // The database's own message (StoreUnavailableException keeps it inside) is what an operator needs here;
                // this is the log, never an answer.
                var startup = e as StoreStartupException ?? new StoreStartupException($"{e.Message} ({e.InnerException?.Message ?? e.GetType().Name})", e);
                CannotStart(logger, startup.Message);
                throw startup;
            }

            logger.LogInformation("Metadata schema is up to date");
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class DatabaseHealthCheck(IMetadataStore store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await store.PingAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (StoreUnavailableException e)
            {
                return HealthCheckResult.Unhealthy(e.Message, e.InnerException);
            }
        }
    }
}
