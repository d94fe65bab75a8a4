package dsp.core.port;

import dsp.core.model.VolumeFormat;
import dsp.core.vm.VirtualMachine;
import java.util.List;
import java.util.Optional;

/** Where VMs made through the API are recorded. */
public interface VmStore {

    List<VirtualMachine> listVms();

    Optional<VirtualMachine> findVm(String id);

    /** Records a new VM; a second VM with the same namespace and name is refused by the store too. */
    void addVm(VirtualMachine vm);

    void updateVm(VirtualMachine vm);

    void removeVm(String id);

    /**
     * The format of a new VM's disk: the one asked for, or what the VMs recorded here boot from
     * (a qcow2 overlay unless the runtime needs otherwise). Refuses (INVALID) a format the runtime
     * cannot boot.
     */
    default VolumeFormat diskFormat(Optional<VolumeFormat> requested) {
        return requested.orElse(VolumeFormat.QCOW2);
    }
}
