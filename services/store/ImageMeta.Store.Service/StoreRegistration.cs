using ImageMeta.ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Trace;

namespace ImageMeta.Store.Service;

/// <summary>The store's registrations: provider chosen by <c>Store:Provider</c>, schema migrated before the app serves, the thumbnails and images bindings (read only), SQL tracing, store metrics, readiness on the database.</summary>
public static class StoreRegistration
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
        builder.Services.AddSingleton<IMetadataStore, SqlMetadataStore>();
        builder.Services.AddHostedService<SchemaMigration>();
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

    /// <summary>Creates or upgrades the schema before the app starts serving; a failure stops the host with the reason.</summary>
    private sealed class SchemaMigration(IMetadataStore store, ILogger<SchemaMigration> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await store.MigrateAsync(cancellationToken);
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
