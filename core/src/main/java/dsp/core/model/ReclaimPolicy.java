package dsp.core.model;

/** What happens to a volume's data when its owner lets go of it (guide: k8s Delete, vm Retain). */
public enum ReclaimPolicy {
    DELETE, RETAIN;

    public static ReclaimPolicy parse(String text) {
        for (ReclaimPolicy p : values()) {
            if (p.name().equalsIgnoreCase(text)) {
                return p;
            }
        }
        throw dsp.core.DomainException.invalid("reclaim policy '" + text + "' is unknown; use Delete or Retain");
    }

    /** Kubernetes spelling: Delete, Retain. */
    public String display() {
        return name().charAt(0) + name().substring(1).toLowerCase();
    }
}
