package dsp.core.model;

import dsp.core.DomainException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte quantities. The guide speaks decimal units (1.5 TB = 1500 GB); Kubernetes speaks
 * quantities ({@code 100Gi}, {@code 1.5T}). Both parse to a whole number of bytes.
 */
public final class Quantity {

    public static final long GB = 1_000_000_000L;
    /** Sizes above this are rejected as absurd (1 EB); keeps arithmetic far from overflow. */
    public static final long MAX_BYTES = 1_000_000_000_000_000_000L;

    private static final Pattern FORMAT =
            Pattern.compile("^\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([A-Za-z]*)\\s*$");

    private static final Map<String, BigDecimal> UNITS = Map.ofEntries(
            Map.entry("", BigDecimal.ONE),
            Map.entry("b", BigDecimal.ONE),
            Map.entry("k", BigDecimal.TEN.pow(3)),
            Map.entry("kb", BigDecimal.TEN.pow(3)),
            Map.entry("m", BigDecimal.TEN.pow(6)),
            Map.entry("mb", BigDecimal.TEN.pow(6)),
            Map.entry("g", BigDecimal.TEN.pow(9)),
            Map.entry("gb", BigDecimal.TEN.pow(9)),
            Map.entry("t", BigDecimal.TEN.pow(12)),
            Map.entry("tb", BigDecimal.TEN.pow(12)),
            Map.entry("p", BigDecimal.TEN.pow(15)),
            Map.entry("pb", BigDecimal.TEN.pow(15)),
            Map.entry("ki", BigDecimal.valueOf(2).pow(10)),
            Map.entry("kib", BigDecimal.valueOf(2).pow(10)),
            Map.entry("mi", BigDecimal.valueOf(2).pow(20)),
            Map.entry("mib", BigDecimal.valueOf(2).pow(20)),
            Map.entry("gi", BigDecimal.valueOf(2).pow(30)),
            Map.entry("gib", BigDecimal.valueOf(2).pow(30)),
            Map.entry("ti", BigDecimal.valueOf(2).pow(40)),
            Map.entry("tib", BigDecimal.valueOf(2).pow(40)),
            Map.entry("pi", BigDecimal.valueOf(2).pow(50)),
            Map.entry("pib", BigDecimal.valueOf(2).pow(50)));

    private Quantity() {
    }

    /**
     * Parses {@code 1.5T}, {@code 1500G}, {@code 1.5TB}, {@code 100Gi}, {@code 300GB} or a plain
     * number of bytes. Units are case-insensitive except that a lone {@code m} is not milli here:
     * storage has no fractional bytes, so {@code m}/{@code M} both mean mega.
     */
    public static long parseBytes(String text) {
        if (text == null || text.isBlank()) {
            throw DomainException.invalid("size is empty; expected a quantity such as 1.5T, 1500G or 100Gi");
        }
        Matcher m = FORMAT.matcher(text);
        if (!m.matches()) {
            throw DomainException.invalid("'" + text + "' is not a size; expected a quantity such as 1.5T, 1500G or 100Gi");
        }
        BigDecimal multiplier = UNITS.get(m.group(2).toLowerCase());
        if (multiplier == null) {
            throw DomainException.invalid("'" + text + "' has an unknown unit '" + m.group(2)
                    + "'; use k, M, G, T, P (decimal) or Ki, Mi, Gi, Ti, Pi (binary)");
        }
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(multiplier).setScale(0, RoundingMode.CEILING);
        if (bytes.compareTo(BigDecimal.valueOf(MAX_BYTES)) > 0) {
            throw DomainException.invalid("'" + text + "' is larger than 1 EB; refusing an absurd size");
        }
        return bytes.longValueExact();
    }

    /**
     * A size where the guide counts in GB: a number, or a bare numeric string, is decimal GB
     * ({@code 50}, {@code "50"}); anything with a unit is a quantity ({@code "100Gi"}, {@code "1.5T"}).
     */
    public static long parseGbOrQuantity(String text) {
        if (text != null && text.strip().matches("[0-9]+(\\.[0-9]+)?")) {
            return fromGb(Double.parseDouble(text.strip()));
        }
        return parseBytes(text);
    }

    /** Whole or fractional decimal gigabytes, as the guide's JSON counts them ({@code "storage": 50}). */
    public static long fromGb(double gb) {
        if (Double.isNaN(gb) || Double.isInfinite(gb) || gb < 0) {
            throw DomainException.invalid("size " + gb + " GB must be a non-negative number");
        }
        if (gb > MAX_BYTES / (double) GB) {
            throw DomainException.invalid("size " + gb + " GB is larger than 1 EB; refusing an absurd size");
        }
        return BigDecimal.valueOf(gb).multiply(BigDecimal.valueOf(GB)).setScale(0, RoundingMode.CEILING).longValueExact();
    }

    /** Bytes as decimal GB rounded to two places: 1.5e12 bytes is 1500. */
    public static double toGb(long bytes) {
        return BigDecimal.valueOf(bytes).divide(BigDecimal.valueOf(GB), 2, RoundingMode.HALF_UP).doubleValue();
    }

    /** A short human form: 1500 GB shows as "1.5 TB". */
    public static String humanize(long bytes) {
        String[] units = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
        double v = bytes;
        int i = 0;
        while (Math.abs(v) >= 1000 && i < units.length - 1) {
            v /= 1000;
            i++;
        }
        BigDecimal shown = BigDecimal.valueOf(v).setScale(v == Math.rint(v) ? 0 : 2, RoundingMode.HALF_UP).stripTrailingZeros();
        return shown.toPlainString() + " " + units[i];
    }

    /** Percentage of part in whole, two decimals (the guide's 26.67); 0 of 0 is 0, anything of 0 is 100. */
    public static double percent(long part, long whole) {
        if (whole <= 0) {
            return part > 0 ? 100.0 : 0.0;
        }
        return BigDecimal.valueOf(part).multiply(BigDecimal.valueOf(100))
                .divide(BigDecimal.valueOf(whole), 2, RoundingMode.HALF_UP).doubleValue();
    }
}
