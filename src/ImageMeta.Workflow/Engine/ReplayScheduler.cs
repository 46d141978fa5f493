namespace ImageMeta.Workflow.Engine;

/// <summary>
/// Runs workflow code on the thread that applies history, one continuation at a time, only when told to.
/// Because every <c>await</c> in workflow code resumes through this scheduler, the order in which the code
/// makes its calls depends on history alone, never on thread timing: that is what makes replay deterministic.
/// </summary>
internal sealed class ReplayScheduler : TaskScheduler
{
    private readonly Queue<Task> _queue = new();
    private int _drainingThread = -1;

    public override int MaximumConcurrencyLevel => 1;

    /// <summary>Runs queued continuations until the workflow code is blocked on something history has not answered yet.</summary>
    public void RunUntilBlocked()
    {
        var previousContext = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        _drainingThread = Environment.CurrentManagedThreadId;
        try
        {
            while (true)
            {
                Task? next;
                lock (_queue)
                {
                    if (!_queue.TryDequeue(out next))
                    {
                        return;
                    }
                }

                TryExecuteTask(next);
            }
        }
        finally
        {
            _drainingThread = -1;
            SynchronizationContext.SetSynchronizationContext(previousContext);
        }
    }

    protected override void QueueTask(Task task)
    {
        lock (_queue)
        {
            _queue.Enqueue(task);
        }
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        !taskWasPreviouslyQueued && _drainingThread == Environment.CurrentManagedThreadId && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks()
    {
        lock (_queue)
        {
            return [.. _queue];
        }
    }
}
