package dsp.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.DomainException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"k8s-1", "a", "server-01", "vm"})
    void acceptsDns1123Labels(String name) {
        assertThat(Names.require("server", name)).isEqualTo(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"../etc", "a/b", "-a", "a-", "A", "a_b", "a.b", "..", " x",
            "0123456789012345678901234567890123456789012345678901234567890123"})
    void rejectsAnythingThatCouldBecomeAPathOrIsNotALabel(String name) {
        assertThatThrownBy(() -> Names.require("server", name))
                .isInstanceOf(DomainException.class)
                .hasMessageContaining("server name");
    }
}
