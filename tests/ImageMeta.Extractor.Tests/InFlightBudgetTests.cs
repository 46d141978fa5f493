namespace ImageMeta.Extractor.Tests;

/// <summary>The in-flight byte budget: refuses or waits past its capacity, gives bytes back on dispose, never deadlocks waiters.</summary>
public sealed class InFlightBudgetTests
{
    [Fact]
    public void A_hold_that_does_not_fit_is_refused_until_room_is_given_back()
    {
        var budget = new InFlightBudget(100);
        var first = budget.TryHold(60, wait: false);

        Assert.NotNull(first);
        Assert.Null(budget.TryHold(50, wait: false));
        first.Dispose();
        using var second = budget.TryHold(50, wait: false);
        Assert.NotNull(second);
        Assert.Equal(50, budget.Held);
    }

    [Fact]
    public void A_hold_larger_than_the_capacity_goes_alone()
    {
        var budget = new InFlightBudget(100);

        using (var alone = budget.TryHold(500, wait: false))
        {
            Assert.NotNull(alone);
            Assert.Null(budget.TryHold(1, wait: false));
        }

        Assert.Equal(0, budget.Held);
    }

    [Fact]
    public async Task Holders_that_all_wait_to_grow_do_not_deadlock()
    {
        var budget = new InFlightBudget(100);
        var a = budget.TryHold(40, wait: false)!;
        var b = budget.TryHold(40, wait: false)!;

        // Each needs more than the other leaves, and gives everything back once it has grown (its work done):
        // without the escape both would wait for ever; with it one goes over, finishes, and lets the other go.
        bool GrowThenFinish(InFlightBudget.Hold hold)
        {
            using (hold)
            {
                return hold.TryGrow(50, wait: true);
            }
        }

        var grown = await Task.WhenAll(Task.Run(() => GrowThenFinish(a)), Task.Run(() => GrowThenFinish(b))).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([true, true], grown);
        Assert.Equal(0, budget.Held);
    }

    [Fact]
    public async Task A_waiting_hold_goes_once_room_is_given_back()
    {
        var budget = new InFlightBudget(100);
        var first = budget.TryHold(80, wait: false)!;

        var waiting = Task.Run(() => budget.TryHold(50, wait: true));
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        first.Dispose();
        using var second = await waiting.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.NotNull(second);
        Assert.Equal(50, budget.Held);
    }
}
