package dev.apr.train;

/** Linear warmup to {@code lr}, then cosine decay to {@code lr / 100} at {@code totalSteps}. */
public record LrSchedule(double lr, int warmupSteps, int totalSteps) {

    /** The learning rate of update number {@code step} (1-based). */
    public double at(int step) {
        double min = lr / 100;
        if (warmupSteps > 0 && step <= warmupSteps) return lr * step / warmupSteps;
        if (totalSteps <= warmupSteps) return lr;
        double progress = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
        return min + 0.5 * (lr - min) * (1 + Math.cos(Math.PI * progress));
    }
}
