package dsp.core.health;

/** The system reserve: every pool server keeps this much for itself, outside any pool. */
public record ReserveFigures(int servers, long capacity, long used, long available, double usagePercent) {
}
