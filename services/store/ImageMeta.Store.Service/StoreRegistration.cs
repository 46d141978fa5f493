using ImageMeta.ServiceDefaults;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Trace;

namespace ImageMeta.Store.Service;

/// <summary>The store's registrations: provider chosen by <c>Store:Provider</c>, schema migrated before the app serves, SQL tracing, readiness on the database.</summary>
public static class StoreRegistration
{
    public static WebApplicationBuilder AddStore(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls($"http://0.0.0.0:{ImageMeta.Contracts.DaprTopology.AppPorts.Store}");
        }

        builder.Services.AddOptions<StoreOptions>()
            .Bind(builder.Configuration.GetSection(StoreOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.Provider == StoreProviders.Sqlite || !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(StoreOptions.ConnectionStringName)),
                "ConnectionStrings:Metadata is required for the postgres and sqlserver providers.")
            .ValidateOnStart();
        builder.Services.AddSingleton<StoreProvider>(provider => CreateProvider(provider, builder.Configuration, builder.Environment));
        builder.Services.AddSingleton<IMetadataStore, SqlMetadataStore>();
        builder.Services.AddHostedService<SchemaMigration>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [HealthEndpoints.ReadyTag]);
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddNpgsql().AddSqlClientInstrumentation());
        return builder;
    }

    private static StoreProvider CreateProvider(IServiceProvider services, IConfiguration configuration, IHostEnvironment environment)
    {
        var options = services.GetRequiredService<IOptions<StoreOptions>>().Value;
        var connectionString = configuration.GetConnectionString(StoreOptions.ConnectionStringName);
        switch (options.Provider)
        {
            case StoreProviders.Postgres:
                return new PostgresStoreProvider(connectionString!);
            case StoreProviders.SqlServer:
                return new SqlServerStoreProvider(connectionString!);
            default:
                if (string.IsNullOrWhiteSpace(connectionString))
                {
                    var folder = Path.GetFullPath(options.DataDirectory, environment.ContentRootPath);
                    Directory.CreateDirectory(folder);
                    connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "metadata.db"), DefaultTimeout = 30 }.ToString();
                }

                return new SqliteStoreProvider(connectionString);
        }
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
                return HealthCheckResult.Unhealthy(e.Message);
            }
        }
    }
}
