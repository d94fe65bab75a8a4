package dsp.core.port;

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
}
