package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.api.body.VmBodies;
import dsp.api.body.VolumeBodies;
import dsp.core.DomainException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A required field sent as null is refused by its JSON name, for each body type (the required fields are found once per type). */
class RequestsTest {

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aRequiredFieldSentAsNullIsRefusedByItsJsonNameWhateverTheBodyTypeAndOrder() {
        for (int round = 0; round < 2; round++) {
            assertThatThrownBy(() -> Requests.parse(json("{\"name\": \"v\", \"pool\": null, \"size\": 1}"), VolumeBodies.CreateVolume.class))
                    .isInstanceOf(DomainException.class)
                    .hasMessage("field 'pool' is required and may not be null: the pool to place it in, e.g. k8s");
            assertThatThrownBy(() -> Requests.parse(json("{\"new_size_gb\": null}"), VmBodies.Resize.class))
                    .isInstanceOf(DomainException.class)
                    .hasMessageStartingWith("field 'new_size_gb' is required and may not be null");
            assertThat(Requests.parse(json("{\"name\": \"v\", \"pool\": \"k8s\", \"size\": 1, \"format\": null}"),
                    VolumeBodies.CreateVolume.class).format()).as("an optional field may be null").isNull();
        }
    }
}
