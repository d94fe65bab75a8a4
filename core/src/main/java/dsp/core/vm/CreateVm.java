package dsp.core.vm;

import dsp.core.model.VolumeFormat;
import java.util.Optional;

/**
 * The guide's create body, as parsed: anything absent is empty. {@code storageBytes} is the
 * requested disk size; {@code format} qcow2 (an overlay, default) or raw (KubeVirt).
 */
public record CreateVm(String name, Optional<String> namespace, String image, Optional<String> serverType,
                       Optional<Integer> cpu, Optional<Integer> memoryGb, Optional<Long> storageBytes,
                       Optional<VolumeFormat> format) {
}
