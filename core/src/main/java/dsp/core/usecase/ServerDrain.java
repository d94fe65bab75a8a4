package dsp.core.usecase;

import dsp.core.DomainException;
import dsp.core.ledger.CapacityLedger;
import dsp.core.model.Allocation;
import dsp.core.model.MoveRecords;
import dsp.core.model.Names;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.Server;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.operation.Operations;
import dsp.core.port.AllocationStore;
import dsp.core.port.ServerInventory;
import dsp.core.port.TemplateLibrary;
import dsp.core.port.VmStore;
import dsp.core.port.VolumeCopier;
import dsp.core.port.VolumeMaker;
import dsp.core.vm.Template;
import dsp.core.vm.VirtualMachine;
import dsp.core.vm.VmStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Draining a server before it leaves or changes pool: shows what it holds and moves the disks of
 * stopped VMs (and released disks) to other servers of their pool, one at a time. A move admits
 * the target's budget first (both copies count until the switch), copies under a temporary name
 * and verifies, switches the record, and deletes the original last ({@link MoveRecords}); a
 * failure at any step is settled by {@link MoveSettlement}, here or at the next start. What
 * cannot move (directory volumes, running VMs, no room) is reported with the reason.
 */
public final class ServerDrain {

    /** What happens (dry run) or happened to one volume on the server. */
    public enum Action {
        /** Dry run: would move to the target. */
        MOVE,
        /** Moved to the target; its data is no longer on the drained server (unless the reason says otherwise). */
        MOVED,
        /** Not moved, for the reason given; nothing changed. */
        STAYS,
        /** The move failed for the reason given; the volume is where it was, intact. */
        FAILED;

        public String display() {
            return name().toLowerCase();
        }
    }

    /** One volume on the drained server: what it is, the VM using it, what drain does with it, where to, and why. */
    public record Item(Allocation volume, Optional<VirtualMachine> vm, Action action, Optional<String> target, Optional<String> reason) {

        static Item stays(Allocation a, Optional<VirtualMachine> vm, String why) {
            return new Item(a, vm, Action.STAYS, Optional.empty(), Optional.of(why));
        }
    }

    /** A drain's answer: every volume the server held when it started. */
    public record Report(String server, boolean dryRun, List<Item> items) {

        public long count(Action action) {
            return items.stream().filter(i -> i.action() == action).count();
        }

        /** True when nothing of a pool is left on the server (a dry run: when everything would move). */
        public boolean drained() {
            return items.stream().allMatch(i -> dryRun ? i.action() == Action.MOVE : i.action() == Action.MOVED && i.reason().isEmpty());
        }
    }

    private final PoolCatalog catalog;
    private final ServerInventory inventory;
    private final AllocationStore allocations;
    private final VmStore vms;
    private final CapacityAdmission admission;
    private final VolumeMaker maker;
    private final Optional<VolumeCopier> copier;
    private final TemplateLibrary templates;
    private final OperationOrder order;
    private final MoveSettlement settlement;
    private final Supplier<String> ids;

    /**
     * @param copier empty where this process cannot move data between servers (Kubernetes mode):
     *               drain then shows its plan and moves nothing
     * @param order  the same turns the VM and volume use cases take, so nothing else touches a volume while it moves
     */
    public ServerDrain(PoolCatalog catalog, ServerInventory inventory, AllocationStore allocations, VmStore vms,
                       CapacityAdmission admission, VolumeMaker maker, Optional<VolumeCopier> copier, TemplateLibrary templates,
                       OperationOrder order, Supplier<String> ids) {
        this.catalog = catalog;
        this.inventory = inventory;
        this.allocations = allocations;
        this.vms = vms;
        this.admission = admission;
        this.maker = maker;
        this.copier = copier;
        this.templates = templates;
        this.order = order;
        this.settlement = new MoveSettlement(allocations, admission, maker, order, copier);
        this.ids = ids;
    }

    /** What the server holds and what a drain would do with each volume; changes nothing. */
    public Report plan(String server) {
        return new Report(server, true, planItems(server));
    }

    /**
     * Moves what can move, one volume at a time, and says what became of each; {@code progress}
     * counts the volumes to move.
     */
    public Report drain(String server, Operations.Progress progress) {
        List<Item> plan = planItems(server);
        long total = plan.stream().filter(i -> i.action() == Action.MOVE).count();
        long done = 0;
        List<Item> out = new ArrayList<>();
        for (Item planned : plan) {
            if (planned.action() != Action.MOVE) {
                out.add(planned);
                continue;
            }
            progress.progress(done, total, "moving " + planned.volume().name() + " to " + planned.target().orElse("?"));
            out.add(move(planned));
            progress.progress(++done, total, "moved " + planned.volume().name());
        }
        return new Report(server, false, out);
    }

    private List<Item> planItems(String server) {
        Names.requireServer(server);
        inventory.findServer(server).orElseThrow(() -> DomainException.notFound("server '" + server + "' does not exist"));
        List<Allocation> all = allocations.listAllocations();
        List<Server> servers = inventory.listServers();
        Map<String, VirtualMachine> vmById = vms.listVms().stream().collect(Collectors.toMap(VirtualMachine::id, Function.identity()));
        // the fleet as the plan sees it: each copy it places is added, so later volumes see that room taken
        CapacityLedger ledger = new CapacityLedger(catalog, servers, all);
        int planned = 0;
        List<Item> items = new ArrayList<>();
        for (Allocation a : all.stream().filter(a -> a.server().equals(server))
                .sorted(Comparator.comparing(Allocation::pool).thenComparing(Allocation::name)).toList()) {
            Optional<VirtualMachine> vm = a.owner().map(vmById::get);
            Optional<String> why = whyItStays(a, vm);
            if (why.isPresent()) {
                items.add(Item.stays(a, vm, why.get()));
                continue;
            }
            PoolDefinition pool = catalog.require(a.pool());
            Predicate<Server> eligible = eligibleFor(a);
            Optional<Server> target = ledger.place(pool, a.sizeBytes(), catalog.placement(),
                    s -> !s.name().equals(a.server()) && eligible.test(s));
            if (target.isEmpty()) {
                items.add(Item.stays(a, vm, CapacityAdmission.noRoomForCopy(ledger, pool, a, eligible)));
            } else if (copier.isEmpty()) {
                items.add(new Item(a, vm, Action.STAYS, target.map(Server::name), Optional.of("this mode moves no data between servers"
                        + " (Kubernetes mode drains by plan only); it could go to " + target.get().name()
                        + ": stop what uses it, copy it there, and delete it here")));
            } else {
                ledger.putAllocation(MoveRecords.copy(a, "plan-" + planned++, target.get().name(), a.createdAt()));
                items.add(new Item(a, vm, Action.MOVE, target.map(Server::name), Optional.empty()));
            }
        }
        return items;
    }

    /** Why this volume cannot move now; empty when it can (given a server with room). */
    private Optional<String> whyItStays(Allocation a, Optional<VirtualMachine> vm) {
        if (MoveRecords.COPY.equals(a.kind())) {
            return Optional.of("a copy of volume " + a.owner().orElse("?") + " arriving here (a move is under way)");
        }
        if (MoveRecords.ORIGINAL.equals(a.kind())) {
            return Optional.of("the original of volume " + a.owner().orElse("?") + ", which moved away; it is deleted once no process"
                    + " holds its image (drain again, or it goes at the next start)");
        }
        if (catalog.find(a.pool()).isEmpty()) {
            return Optional.of("its pool " + a.pool() + " is not configured");
        }
        if (a.phase() == VolumePhase.PENDING) {
            return Optional.of("it is still being made; drain again when it is Ready");
        }
        if (a.phase() == VolumePhase.DELETING) {
            return Optional.of("it is being deleted");
        }
        if (a.format() == VolumeFormat.DIRECTORY) {
            return Optional.of("a directory volume is used in place by its consumer (in Kubernetes a PersistentVolume is pinned to"
                    + " its node); drain does not move it: move its data through the workload, or delete it");
        }
        if (a.owner().isPresent() && vm.isEmpty() && !MoveRecords.isMoveRecord(a)) {
            return Optional.of("it is in use by " + a.owner().get());
        }
        if (vm.isPresent() && vm.get().status() != VmStatus.STOPPED) {
            return Optional.of("VM " + vm.get().name() + " is " + vm.get().status().display() + "; drain again when it is stopped");
        }
        Optional<String> inUse = copier.flatMap(c -> c.whyInUse(a));
        if (inUse.isPresent()) {
            return Optional.of(vm.map(v -> "VM " + v.name() + " is running").orElse("a process has it open")
                    + " (" + inUse.get() + "); stop it and drain again");
        }
        return Optional.empty();
    }

    /** Servers that can take a copy of this volume: for a disk made from a template, those that hold the template. */
    private Predicate<Server> eligibleFor(Allocation a) {
        Optional<Set<String>> withTemplate = a.template().flatMap(templates::serversWith);
        return s -> withTemplate.map(w -> w.contains(s.name())).orElse(true);
    }

    /** Moves one volume in its turn (the VM's, then the volume's own), re-checking it now that it is ours. */
    private Item move(Item planned) {
        Allocation seen = planned.volume();
        return order.onVolume(planned.vm().map(VirtualMachine::id), seen.id(), () -> moveNow(seen, planned.vm()));
    }

    private Item moveNow(Allocation seen, Optional<VirtualMachine> vmSeen) {
        String id = seen.id();
        Optional<Allocation> now = allocations.findAllocation(id);
        if (now.isEmpty()) {
            return Item.stays(seen, vmSeen, "it was deleted meanwhile");
        }
        Allocation a = now.get();
        Optional<VirtualMachine> vm = a.owner().flatMap(vms::findVm);
        Optional<String> why = whyItStays(a, vm);
        if (why.isPresent()) {
            return Item.stays(a, vm, why.get());
        }
        Allocation copy = null;
        boolean placed = false;
        boolean decided = false;
        try {
            Optional<Template> template = a.template().map(t -> templates.findTemplate(t).orElseThrow(() ->
                    DomainException.storageFailed("template " + t + " that the disk is based on is no longer in the library")));
            Allocation original;
            try (VolumeCopier.Hold hold = copier.orElseThrow().hold(a)) {
                // the target's budget is charged before a byte is copied: both copies count until the switch
                copy = admission.admitCopy(a, eligibleFor(a), "move-" + ids.get());
                copier.get().copy(a, copy, template);
                copy = admission.update(copy.withPhase(VolumePhase.READY)); // verified: what is at its place from now on is ours
                copier.get().publish(copy);
                placed = true;
                // the decision is recorded before anything can run the copy: from here a failure or a crash is settled
                // by where the VM is bound (MoveSettlement), never by deleting a copy it may be running on
                original = admission.recordOriginal(a, "moved-" + ids.get());
                decided = true;
                hold.switchTo(copy); // started meanwhile: the settling abandons the copy, the original stays
                admission.moveTo(a.id(), copy.server());
                admission.release(copy.id());
                vm.ifPresent(vms::updateVm); // where the VM's record shows its disk (Kubernetes: PoolVirtualMachine status.node)
            }
            // the hold is gone: the original is deleted now, unless a process opened it meanwhile (then it waits)
            maker.delete(original);
            admission.release(original.id());
            return new Item(allocations.findAllocation(id).orElse(a), vm, Action.MOVED, Optional.of(copy.server()), Optional.empty());
        } catch (RuntimeException e) {
            if (copy != null && !decided) {
                undoCopy(copy, placed, e);
            }
            return settled(a, vm, e);
        }
    }

    /** A copy that was never switched to: this run knows what of it exists, so it removes exactly that. */
    private void undoCopy(Allocation copy, boolean placed, RuntimeException cause) {
        try {
            if (placed) {
                maker.delete(copy);
            } else {
                copier.orElseThrow().discard(copy);
            }
            admission.release(copy.id());
        } catch (RuntimeException e) {
            cause.addSuppressed(e); // the records still say where it stands: start-up settles it
        }
    }

    /** After a step failed: the records say whether the move happened; settle it to one end and say which. */
    private Item settled(Allocation before, Optional<VirtualMachine> vm, RuntimeException cause) {
        String id = before.id();
        String source = before.server();
        String problem = "";
        try {
            settlement.settle(id);
        } catch (RuntimeException e) {
            problem = "; " + e.getMessage() + " (left for the next drain or start)";
        }
        Optional<Allocation> after = allocations.findAllocation(id);
        if (after.isPresent() && !after.get().server().equals(source)) {
            try {
                vm.ifPresent(vms::updateVm); // the VM's record follows its disk, as after a move without a failure
            } catch (RuntimeException e) {
                problem += "; the VM's record still shows " + source + ": " + e.getMessage();
            }
            return new Item(after.get(), vm, Action.MOVED, Optional.of(after.get().server()), problem.isEmpty() ? Optional.empty()
                    : Optional.of("moved; the original on " + source + " is not deleted yet: " + cause.getMessage() + problem));
        }
        return new Item(after.orElse(before), vm, Action.FAILED, Optional.empty(),
                Optional.of(cause.getMessage() + problem + (problem.isEmpty() ? "; it stays where it was, intact" : "")));
    }
}
