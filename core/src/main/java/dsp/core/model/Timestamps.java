package dsp.core.model;

import java.time.Instant;

/**
 * The times our records carry (an allocation's createdAt), written by {@link Instant#toString()} in UTC
 * ({@code 2026-11-26T02:41:07.123456Z}) and read back at every start: 200,000 of them at fleet scale, in the
 * SQLite store and in the Kubernetes controllers' PoolVolume informers alike, where the general parser was a
 * fifth of the work (#10). Anything not in that form is read by {@link Instant#parse}, and refused as it refuses
 * it.
 */
public final class Timestamps {

    private Timestamps() {
    }

    /** {@code text} as {@link Instant#parse} reads it, or its {@link java.time.format.DateTimeParseException}. */
    public static Instant read(String text) {
        int n = text.length();
        // 20 characters without a fraction, 22 to 30 with one of 1 to 9 digits ("ss.Z", 21, has none)
        if (n < 20 || n == 21 || n > 30 || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T' || text.charAt(13) != ':'
                || text.charAt(16) != ':' || text.charAt(n - 1) != 'Z' || (n > 20 && text.charAt(19) != '.')) {
            return Instant.parse(text);
        }
        int digits = n == 20 ? 0 : n - 21;
        int nanos = digits == 0 ? 0 : number(text, 20, n - 1);
        for (int i = digits; i < 9 && nanos > 0; i++) {
            nanos *= 10;
        }
        int year = number(text, 0, 4);
        int month = number(text, 5, 7);
        int day = number(text, 8, 10);
        int hour = number(text, 11, 13);
        int minute = number(text, 14, 16);
        int second = number(text, 17, 19);
        if (year < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || nanos < 0) {
            return Instant.parse(text);
        }
        try {
            long days = java.time.LocalDate.of(year, month, day).toEpochDay();
            return Instant.ofEpochSecond(days * 86_400 + hour * 3_600L + minute * 60L + second, nanos);
        } catch (java.time.DateTimeException e) {
            return Instant.parse(text); // a 30th of February: the general parser says what it makes of it
        }
    }

    /** The decimal number in {@code s[from, to)}, or -1 when a character there is not a digit. */
    private static int number(String s, int from, int to) {
        int v = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }
}
