package dsp.core.vm;

import java.time.Instant;
import java.util.Optional;

/** A VM made through the API: its size and the disk allocation it owns. */
public record VirtualMachine(String id, String name, String namespace, String image, Optional<String> serverType,
                             int cpu, int memoryGb, String diskId, VmStatus status, Instant createdAt) {

    public VirtualMachine withStatus(VmStatus s) {
        return new VirtualMachine(id, name, namespace, image, serverType, cpu, memoryGb, diskId, s, createdAt);
    }
}
