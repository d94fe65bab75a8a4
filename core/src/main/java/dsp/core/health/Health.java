package dsp.core.health;

/** Pool health, worst last so {@code max} picks the worst. */
public enum Health {
    HEALTHY, WARNING, CRITICAL;

    public String display() {
        return name().toLowerCase();
    }

    public Health worst(Health other) {
        return compareTo(other) >= 0 ? this : other;
    }
}
