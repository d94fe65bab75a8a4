package dsp.core.usecase;

import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.Names;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.Quantity;
import dsp.core.model.ReclaimPolicy;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.port.AllocationStore;
import dsp.core.port.TemplateLibrary;
import dsp.core.port.VmStore;
import dsp.core.port.VolumeMaker;
import dsp.core.vm.CreateVm;
import dsp.core.vm.ServerType;
import dsp.core.vm.Template;
import dsp.core.vm.VirtualMachine;
import dsp.core.vm.VmStatus;
import dsp.core.vm.VmView;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * VMs through the API: admission first (so the pool is never oversold), then the disk, then the
 * record is marked done. A failure at any step undoes the earlier ones; a crash is undone by
 * {@link StartupReconciler}. Operations on one VM run in turn ({@link OperationOrder}): a delete
 * that arrives while the disk is being made waits for it, and resizes never interleave.
 */
public final class VmService {

    private static final int MAX_CPU = 1024;
    private static final int MAX_MEMORY_GB = 65536;

    private final PoolDefinition pool;
    private final List<ServerType> serverTypes;
    private final CapacityAdmission admission;
    private final AllocationStore allocations;
    private final VmStore vms;
    private final VolumeMaker maker;
    private final TemplateLibrary templates;
    private final Clock clock;
    private final Supplier<String> ids;
    private final VolumeData data;
    private final OperationOrder order;

    public VmService(PoolCatalog catalog, String vmPool, List<ServerType> serverTypes, CapacityAdmission admission,
                     AllocationStore allocations, VmStore vms, VolumeMaker maker, TemplateLibrary templates,
                     Clock clock, Supplier<String> ids) {
        this(catalog, vmPool, serverTypes, admission, allocations, vms, maker, templates, clock, ids, new OperationOrder());
    }

    /** @param order turns shared with the other use cases that touch VMs' disks (e.g. a drain moving them) */
    public VmService(PoolCatalog catalog, String vmPool, List<ServerType> serverTypes, CapacityAdmission admission,
                     AllocationStore allocations, VmStore vms, VolumeMaker maker, TemplateLibrary templates,
                     Clock clock, Supplier<String> ids, OperationOrder order) {
        this.order = order;
        this.pool = catalog.require(vmPool);
        this.serverTypes = List.copyOf(serverTypes);
        this.admission = admission;
        this.allocations = allocations;
        this.vms = vms;
        this.maker = maker;
        this.templates = templates;
        this.clock = clock;
        this.ids = ids;
        this.data = new VolumeData(admission, maker);
    }

    public List<ServerType> serverTypes() {
        return serverTypes;
    }

    /** The pool VM disks go to. */
    public String vmPool() {
        return pool.name();
    }

    public VmView create(CreateVm request) {
        return create(request, () -> { }, dsp.core.operation.Operations.Progress.NONE);
    }

    /**
     * Creates a VM, saying when it is checked and admitted ({@code admitted}: what remains is making
     * its disk) and how far making the disk got ({@code progress}: the first disk from a template
     * on a server copies the template there, gigabytes).
     */
    public VmView create(CreateVm request, Runnable admitted, dsp.core.operation.Operations.Progress progress) {
        String name = Names.require("VM", request.name());
        String namespace = Names.require("namespace", request.namespace().orElse("default"));
        if (request.image() == null || request.image().isBlank()) {
            throw DomainException.invalid("field 'image' is required: the name of a template, e.g. ubuntu22");
        }
        Template template = templates.findTemplate(request.image()).orElseThrow(() -> DomainException.invalid(
                "image '" + request.image() + "' is not a template; templates are "
                        + templates.listTemplates().stream().map(Template::name).toList()));
        Optional<ServerType> preset = request.serverType().map(this::preset);
        int cpu = resolve("cpu", request.cpu(), preset.map(ServerType::cpu), MAX_CPU);
        int memory = resolve("memory", request.memoryGb(), preset.map(ServerType::memoryGb), MAX_MEMORY_GB);
        long minimum = Math.max(template.virtualBytes(), preset.map(p -> Quantity.fromGb(p.diskGb())).orElse(0L));
        long storage = request.storageBytes().orElse(preset.map(p -> Quantity.fromGb(p.diskGb())).orElse(template.virtualBytes()));
        if (storage < minimum) {
            throw DomainException.invalid("storage " + Quantity.humanize(storage) + " is smaller than the minimum "
                    + Quantity.humanize(minimum) + " (" + (preset.isPresent() && Quantity.fromGb(preset.get().diskGb()) == minimum
                    ? "server type " + preset.get().name() + " disk" : "template " + template.name() + " virtual size") + ")");
        }
        VolumeFormat format = vms.diskFormat(request.format());
        if (format == VolumeFormat.DIRECTORY) {
            throw DomainException.invalid("a VM disk is qcow2 or raw, not a directory");
        }
        String id = "vm-" + ids.get();
        // the VM's turn is taken before anyone can see it: a delete or resize of it waits until it is made
        return order.on(id, () -> {
            VirtualMachine vm = order.on("name:" + namespace + "/" + name, () -> {
                if (vms.listVms().stream().anyMatch(v -> v.namespace().equals(namespace) && v.name().equals(name))) {
                    throw DomainException.conflict("a VM named '" + name + "' already exists in namespace " + namespace);
                }
                Allocation disk = admission.admit(new CapacityAdmission.Request(id, pool.name(), storage, "vm-disk",
                        Optional.empty(), format, Optional.of(template.name()), Optional.of(id), VolumePhase.PENDING)
                        .onlyOn(templates.serversWith(template.name())));
                if (templates.findTemplate(template.name()).isEmpty()) {
                    // deleted while we were admitted: a delete that came later would have seen this disk and refused
                    admission.release(disk.id());
                    throw DomainException.conflict("template '" + template.name() + "' was deleted meanwhile");
                }
                VirtualMachine recorded = new VirtualMachine(id, name, namespace, template.name(), preset.map(ServerType::name),
                        cpu, memory, disk.id(), VmStatus.CREATING, clock.instant());
                try {
                    vms.addVm(recorded);
                } catch (RuntimeException e) {
                    admission.release(disk.id());
                    throw e;
                }
                return recorded;
            });
            Allocation disk = allocations.findAllocation(vm.diskId()).orElseThrow();
            admitted.run();
            String path;
            try {
                path = data.make(disk, Optional.of(template), progress);
            } catch (RuntimeException e) {
                vms.removeVm(id);
                throw e;
            }
            try {
                Allocation ready = admission.update(disk.withPhase(VolumePhase.READY));
                VirtualMachine done = vm.withStatus(VmStatus.STOPPED);
                vms.updateVm(done);
                return new VmView(done, ready, path);
            } catch (RuntimeException e) {
                data.undo(disk, e);
                vms.removeVm(id);
                throw e;
            }
        });
    }

    public List<VmView> list(Optional<String> namespace) {
        namespace.ifPresent(n -> Names.require("namespace", n));
        return vms.listVms().stream()
                .filter(v -> namespace.map(n -> n.equals(v.namespace())).orElse(true))
                .sorted(Comparator.comparing(VirtualMachine::namespace).thenComparing(VirtualMachine::name))
                .map(this::view)
                .toList();
    }

    public VmView get(String id) {
        return view(find(id));
    }

    /**
     * Deletes the VM. Its disk follows the pool's reclaim policy: Retain keeps it (listed as a
     * Released volume until purged), Delete or {@code purge} removes it.
     *
     * @return the disk when it was kept (released); empty when it was deleted
     */
    public Optional<Allocation> delete(String id, boolean purge) {
        find(id);
        return order.on(id, () -> {
            VirtualMachine vm = find(id); // as it is now that it is our turn: a create before us has finished
            Allocation disk = allocations.findAllocation(vm.diskId())
                    .orElseThrow(() -> DomainException.conflict("VM " + id + " has no disk record"));
            if (purge || pool.reclaimPolicy() == ReclaimPolicy.DELETE || disk.phase() == VolumePhase.DELETING) {
                Allocation marked = admission.update(disk.withPhase(VolumePhase.DELETING));
                vms.removeVm(id);
                data.delete(marked);
                return Optional.empty();
            }
            Allocation released = admission.update(disk.withPhase(VolumePhase.RELEASED).withOwner(Optional.empty()));
            vms.removeVm(id);
            return Optional.of(released);
        });
    }

    /** Grow-only: the same size is a no-op, smaller is a conflict, no room is insufficient capacity. */
    public VmView resize(String id, long newSizeBytes) {
        find(id);
        return order.on(id, () -> {
            VirtualMachine vm = find(id);
            if (vm.status() != VmStatus.STOPPED) {
                throw DomainException.conflict("VM " + id + " is " + vm.status().display() + "; try again when it is created");
            }
            Allocation before = allocations.findAllocation(vm.diskId())
                    .orElseThrow(() -> DomainException.conflict("VM " + id + " has no disk record"));
            Allocation grown = admission.grow(before.id(), newSizeBytes);
            if (grown.sizeBytes() != before.sizeBytes() || maker.presentedBytes(grown) < grown.sizeBytes()) {
                try {
                    maker.grow(grown, grown.sizeBytes());
                } catch (RuntimeException e) {
                    admission.restoreSize(before.id(), before.sizeBytes());
                    throw e;
                }
            }
            return view(vm);
        });
    }

    private VirtualMachine find(String id) {
        if (id == null || !Names.isValid(id)) {
            throw DomainException.notFound("VM '" + id + "' does not exist");
        }
        return vms.findVm(id).orElseThrow(() -> DomainException.notFound("VM '" + id + "' does not exist"));
    }

    private VmView view(VirtualMachine vm) {
        Allocation disk = allocations.findAllocation(vm.diskId())
                .orElseThrow(() -> DomainException.conflict("VM " + vm.id() + " has no disk record"));
        return new VmView(vm, disk, maker.pathOf(disk));
    }

    private ServerType preset(String name) {
        return serverTypes.stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> DomainException.invalid("server_type '" + name + "' is unknown; known types are "
                        + serverTypes.stream().map(ServerType::name).toList()));
    }

    private static int resolve(String field, Optional<Integer> given, Optional<Integer> preset, int max) {
        if (given.isPresent() && preset.isPresent() && !given.get().equals(preset.get())) {
            throw DomainException.invalid(field + " " + given.get() + " contradicts the server_type, which has " + preset.get()
                    + "; leave " + field + " out or match it");
        }
        int value = given.or(() -> preset).orElseThrow(() ->
                DomainException.invalid("field '" + field + "' is required when no server_type is given"));
        if (value <= 0 || value > max) {
            throw DomainException.invalid(field + " must be between 1 and " + max);
        }
        return value;
    }
}
