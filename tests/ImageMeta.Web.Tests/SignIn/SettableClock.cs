namespace ImageMeta.Web.Tests.SignIn;

/// <summary>A clock the test moves by hand, for the web app's session lifetimes (registered as its <see cref="TimeProvider"/>).</summary>
public sealed class SettableClock : TimeProvider
{
    private long _ticks = DateTimeOffset.UtcNow.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
