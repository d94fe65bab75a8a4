package dsp.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.DomainException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class QuantityTest {

    @ParameterizedTest
    @CsvSource({
            "1.5T, 1500000000000",
            "1.5TB, 1500000000000",
            "1500G, 1500000000000",
            "300GB, 300000000000",
            "100Gi, 107374182400",
            "1Ki, 1024",
            "1k, 1000",
            "512, 512",
            "2Ti, 2199023255552",
            "0.5 G, 500000000"})
    void parsesGuideUnitsAndKubernetesQuantities(String text, long bytes) {
        assertThat(Quantity.parseBytes(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "-5G", "abc", "1.5X", "G", "1e3", "2000E", "99999999999999999999P"})
    void rejectsBadOrAbsurdSizes(String text) {
        assertThatThrownBy(() -> Quantity.parseBytes(text))
                .isInstanceOf(DomainException.class)
                .extracting(e -> ((DomainException) e).code()).isEqualTo(DomainException.Code.INVALID);
    }

    @Test
    void reportsDecimalGigabytesAsTheGuide() {
        assertThat(Quantity.toGb(4_500_000_000_000L)).isEqualTo(4500.0);
        assertThat(Quantity.fromGb(50)).isEqualTo(50_000_000_000L);
        assertThat(Quantity.percent(1200, 4500)).isEqualTo(26.67);
        assertThat(Quantity.percent(0, 0)).isEqualTo(0.0);
        assertThat(Quantity.percent(5, 0)).isEqualTo(100.0);
        assertThat(Quantity.humanize(1_500_000_000_000L)).isEqualTo("1.5 TB");
    }

    @Test
    void whereTheGuideCountsInGbABareNumberIsGb() {
        assertThat(Quantity.parseGbOrQuantity("50")).isEqualTo(50_000_000_000L);
        assertThat(Quantity.parseGbOrQuantity(" 1.5 ")).isEqualTo(1_500_000_000L);
        assertThat(Quantity.parseGbOrQuantity("100Gi")).isEqualTo(107_374_182_400L);
        assertThatThrownBy(() -> Quantity.parseGbOrQuantity("-3")).isInstanceOf(DomainException.class);
    }

    @Test
    void rejectsNegativeAndAbsurdGigabytes() {
        assertThatThrownBy(() -> Quantity.fromGb(-1)).isInstanceOf(DomainException.class);
        assertThatThrownBy(() -> Quantity.fromGb(1e12)).isInstanceOf(DomainException.class);
        assertThatThrownBy(() -> Quantity.fromGb(Double.NaN)).isInstanceOf(DomainException.class);
    }
}
