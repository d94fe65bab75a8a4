package dsp.core.memory;

import dsp.core.DomainException;
import dsp.core.port.VmStore;
import dsp.core.vm.VirtualMachine;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** VMs held in memory: for tests and for embedding the engine without persistence. */
public final class InMemoryVmStore implements VmStore {

    private final Map<String, VirtualMachine> vms = new ConcurrentSkipListMap<>();

    @Override
    public List<VirtualMachine> listVms() {
        return List.copyOf(vms.values());
    }

    @Override
    public Optional<VirtualMachine> findVm(String id) {
        return Optional.ofNullable(vms.get(id));
    }

    @Override
    public synchronized void addVm(VirtualMachine vm) {
        if (vms.values().stream().anyMatch(v -> v.namespace().equals(vm.namespace()) && v.name().equals(vm.name()))) {
            throw DomainException.conflict("a VM named '" + vm.name() + "' already exists in namespace " + vm.namespace());
        }
        vms.put(vm.id(), vm);
    }

    @Override
    public void updateVm(VirtualMachine vm) {
        vms.replace(vm.id(), vm);
    }

    @Override
    public void removeVm(String id) {
        vms.remove(id);
    }
}
