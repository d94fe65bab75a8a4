package dsp.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fast path for what {@link Instant#toString()} writes: every text reads as {@link Instant#parse} reads it,
 * or is refused as it refuses it (the cases the SQLite store's and the PoolVolume informer's copies were each
 * tested with, now one reader).
 */
class TimestampsTest {

    @Test
    void everyTextReadsAsInstantParseReadsItOrIsRefusedAsItIs() {
        List<String> texts = new ArrayList<>(List.of(
                "2026-11-26T03:00:00Z", "2026-11-26T03:00:00.5Z", "2026-11-26T03:00:00.Z", "2026-02-30T03:00:00Z",
                "2026-11-26T24:00:00Z", "2026-11-26T03:60:00Z", "2026-1a-26T03:00:00Z", "-001-11-26T03:00:00Z",
                "2026-11-26T03:00:00+01:00", "2026-11-26t03:00:00Z", "2026-11-26T03:00:00.1234567890Z", "2026-11-26T03:00:00.12a4Z",
                "+12026-11-26T03:00:00Z", "", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2026-11-30T23:59:60Z",
                "2026-12-31T23:59:59.999999999Z", "0000-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-26T09:28:51z",
                "2026-1-26T09:28:51Z", "2026-11-26T09:28:-1Z", "2026-11-26 09:28:51Z", "x"));
        Random random = new Random(10);
        for (int i = 0; i < 20_000; i++) {
            texts.add(Instant.ofEpochSecond(random.nextLong(-62_000_000_000L, 253_000_000_000L),
                    switch (i % 5) {
                        case 0 -> 0;
                        case 1 -> random.nextInt(1000) * 1_000_000;
                        case 2 -> random.nextInt(1_000_000) * 1000;
                        case 3 -> random.nextInt(1_000_000_000) / (int) Math.pow(10, random.nextInt(9)) * (int) Math.pow(10, random.nextInt(3));
                        default -> random.nextInt(1_000_000_000);
                    }).toString());
        }
        for (String text : texts) {
            Object expected;
            try {
                expected = Instant.parse(text);
            } catch (DateTimeParseException e) {
                expected = "refused";
            }
            Object actual;
            try {
                actual = Timestamps.read(text);
            } catch (DateTimeParseException e) {
                actual = "refused";
            }
            assertThat(actual).as(text).isEqualTo(expected);
        }
    }
}
