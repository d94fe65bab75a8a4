package dsp.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.DomainException;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NamesTest {

    private static final String LABEL_63 = "a".repeat(63);

    @ParameterizedTest
    @ValueSource(strings = {"k8s-1", "a", "server-01", "vm"})
    void acceptsDns1123Labels(String name) {
        assertThat(Names.require("volume", name)).isEqualTo(name);
        assertThat(Names.requireServer(name)).isEqualTo(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"../etc", "a/b", "-a", "a-", "A", "a_b", "a.b", "..", " x",
            "0123456789012345678901234567890123456789012345678901234567890123"})
    void volumeNamesRejectAnythingThatCouldBecomeAPathOrIsNotALabel(String name) {
        assertThatThrownBy(() -> Names.require("volume", name))
                .isInstanceOf(DomainException.class)
                .hasMessageContaining("volume name");
    }

    /** Kubernetes node names are DNS subdomains: FQDNs such as EC2's are the normal case. */
    @ParameterizedTest
    @ValueSource(strings = {"ip-10-0-0-1.ec2.internal", "a.b.c", "node-1.example.com", "10.0.0.1"})
    void serverNamesAreDnsSubdomains(String name) {
        assertThat(Names.isValidServer(name)).isTrue();
        assertThat(new Server(name, Optional.of("k8s"), Optional.empty(), Instant.EPOCH).name()).isEqualTo(name);
        assertThat(new Allocation("id", "vol", "k8s", name, 1, "volume", Instant.EPOCH).server()).isEqualTo(name);
    }

    @Test
    void serverNamesMayBe253CharactersOfLabelsUpTo63() {
        String longest = String.join(".", LABEL_63, LABEL_63, LABEL_63, "a".repeat(61));
        assertThat(longest).hasSize(253);
        assertThat(Names.requireServer(longest)).isEqualTo(longest);
        assertThat(Names.isValidServer(longest + "a")).as("254 characters").isFalse();
        assertThat(Names.isValidServer(LABEL_63 + "a.b")).as("a label of 64").isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"..", ".", ".a", "a.", "a..b", "a/b", "../etc", "a.b/..", "A.b", "a_b.c", "a.-b", "a-.b", " a.b", "a.b\n"})
    void serverNamesStillCannotBecomeAPath(String name) {
        assertThatThrownBy(() -> Names.requireServer(name))
                .isInstanceOf(DomainException.class)
                .hasMessageContaining("server name")
                .hasMessageContaining("ip-10-0-0-1.ec2.internal");
    }

    @Test
    void namesThatBecomeFileNamesStayLabels() {
        assertThatThrownBy(() -> new Allocation("id", "a.b", "k8s", "s.example", 1, "volume", Instant.EPOCH))
                .isInstanceOf(DomainException.class).hasMessageContaining("volume name");
        assertThatThrownBy(() -> new Server("s.example", Optional.of("k8s.x"), Optional.empty(), Instant.EPOCH))
                .isInstanceOf(DomainException.class).hasMessageContaining("pool name");
    }
}
