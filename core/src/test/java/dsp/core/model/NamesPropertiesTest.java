package dsp.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link Names} checks labels by hand (the regular expressions were most of building 200,000 allocations at
 * start-up, #10); these properties hold it to the expressions it replaced, the Kubernetes definitions.
 */
class NamesPropertiesTest {

    private static final Pattern DNS1123 = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    @Property(tries = 3000)
    void aVolumeNameIsValidExactlyWhenItIsALabelOfAtMost63(@ForAll("names") String name) {
        assertThat(Names.isValid(name)).as("'%s'", name).isEqualTo(name.length() <= 63 && DNS1123.matcher(name).matches());
    }

    @Property(tries = 3000)
    void aServerNameIsValidExactlyWhenItIsASubdomainOfLabelsOfAtMost63(@ForAll("names") String name) {
        boolean expected = name.length() <= 253 && SUBDOMAIN.matcher(name).matches();
        for (String label : name.split("\\.")) {
            expected &= label.length() <= 63;
        }
        assertThat(Names.isValidServer(name)).as("'%s'", name).isEqualTo(expected);
    }

    /** Mostly near-valid names: the characters that matter at every position, lengths around the limits. */
    @Provide
    Arbitrary<String> names() {
        Arbitrary<String> close = Arbitraries.strings().withChars("ab09-.").ofMinLength(0).ofMaxLength(12);
        Arbitrary<String> odd = Arbitraries.strings().withChars("az-._A/\n é0").ofMinLength(0).ofMaxLength(8);
        Arbitrary<String> longLabels = Arbitraries.integers().between(60, 66).map("a"::repeat)
                .flatMap(l -> Arbitraries.of("", ".b", "-", "." + l, ".", "a.").map(tail -> l + tail));
        Arbitrary<String> longNames = Arbitraries.integers().between(1, 5).map(n -> String.join(".", java.util.Collections.nCopies(4,
                "c".repeat(62))) + "x".repeat(n));
        return Arbitraries.oneOf(close, odd, longLabels, longNames, close.list().ofMaxSize(4).map(l -> String.join(".", l)));
    }
}
