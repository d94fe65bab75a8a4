package dsp.core.model;

import dsp.core.DomainException;

/** Health thresholds in percent: usage strictly above them is a warning or critical. */
public record Thresholds(double warningPercent, double criticalPercent) {

    public static final Thresholds GUIDE = new Thresholds(75, 90);

    public Thresholds {
        if (!(warningPercent > 0 && warningPercent <= criticalPercent && criticalPercent <= 1000)) {
            throw DomainException.invalid("thresholds must satisfy 0 < warning <= critical; got warning "
                    + warningPercent + ", critical " + criticalPercent);
        }
    }
}
