package dsp.core.health;

import dsp.core.ledger.CapacityLedger;
import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.Quantity;
import dsp.core.model.Server;
import dsp.core.model.Thresholds;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Turns a ledger and disk measurements into the numbers and health the guide shows. Health takes
 * the higher of allocated % and measured % against the thresholds.
 */
public final class FleetStatusCalculator {

    private final boolean simulatedServers;

    public FleetStatusCalculator() {
        this(false);
    }

    /**
     * @param simulatedServers the servers are directories of one machine (the demo): the disk
     *                         prerequisite is then a note, not a warning
     */
    public FleetStatusCalculator(boolean simulatedServers) {
        this.simulatedServers = simulatedServers;
    }

    public FleetStatus calculate(CapacityLedger ledger, List<ServerDiskUsage> disks, Instant at) {
        PoolCatalog catalog = ledger.catalog();
        Thresholds thresholds = catalog.thresholds();
        Map<String, ServerDiskUsage> diskByServer = disks.stream()
                .collect(Collectors.toMap(ServerDiskUsage::server, Function.identity(), (a, b) -> a));
        List<String> warnings = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        List<PoolFigures> figures = new ArrayList<>();
        Health overall = Health.HEALTHY;

        for (PoolDefinition pool : catalog.pools()) {
            List<Server> members = ledger.serversIn(pool);
            long capacity = ledger.capacity(pool);
            long used = ledger.used(pool);
            long measured = members.stream()
                    .map(s -> diskByServer.get(s.name()))
                    .filter(d -> d != null)
                    .mapToLong(ServerDiskUsage::pooledBytes)
                    .sum();
            double usage = Quantity.percent(used, capacity);
            double measuredUsage = Quantity.percent(measured, capacity);
            double worst = Math.max(usage, measuredUsage);
            Health health = Health.HEALTHY;
            String key = pool.statusKey();
            if (worst > thresholds.criticalPercent()) {
                health = Health.CRITICAL;
                errors.add(key + " is critical: " + describeUsage(usage, measuredUsage)
                        + " is above " + fmt(thresholds.criticalPercent()) + "%");
            } else if (worst > thresholds.warningPercent()) {
                health = Health.WARNING;
                warnings.add(key + " is above the warning threshold: " + describeUsage(usage, measuredUsage)
                        + " is above " + fmt(thresholds.warningPercent()) + "%");
            }
            List<Allocation> own = ledger.allocationsOf(pool);
            List<Allocation> stranded = own.stream().filter(ledger::isStranded).toList();
            long strandedBytes = stranded.stream().mapToLong(Allocation::sizeBytes).sum();
            if (!stranded.isEmpty()) {
                health = health.worst(Health.WARNING);
                Set<String> where = stranded.stream().map(Allocation::server).collect(Collectors.toCollection(java.util.TreeSet::new));
                warnings.add(key + " has " + stranded.size() + " stranded volume" + (stranded.size() == 1 ? "" : "s")
                        + " (" + Quantity.humanize(strandedBytes) + ") on servers outside the pool: "
                        + String.join(", ", where) + "; the data is untouched and stays until deleted");
            }
            overall = overall.worst(health);
            figures.add(new PoolFigures(pool, members.size(), capacity, used, ledger.available(pool), usage,
                    measured, measuredUsage, own.stream().mapToLong(Allocation::sizeBytes).sum(), own.size(),
                    strandedBytes, stranded.size(), health));
        }

        List<Server> pooled = ledger.servers().stream().filter(s -> ledger.poolOf(s).isPresent()).toList();
        for (Server s : ledger.servers()) {
            if (s.pool().isPresent() && ledger.poolOf(s).isEmpty()) {
                warnings.add("server " + s.name() + " is labelled pool=" + s.pool().get()
                        + " but no such pool is configured; it contributes to no pool");
                overall = overall.worst(Health.WARNING);
            }
        }
        long reserveCapacity = pooled.size() * catalog.reserveBytes();
        long reserveUsed = pooled.stream().map(s -> diskByServer.get(s.name())).filter(d -> d != null)
                .mapToLong(ServerDiskUsage::otherBytes).sum();
        ReserveFigures reserve = new ReserveFigures(pooled.size(), reserveCapacity, reserveUsed,
                Math.max(0, reserveCapacity - reserveUsed), Quantity.percent(reserveUsed, reserveCapacity));

        List<String> notes = new ArrayList<>();
        Map<String, ServerFigures.DiskCheck> checks = checkDeclaredAgainstDisks(ledger, pooled, diskByServer,
                simulatedServers ? notes : warnings);
        if (!simulatedServers && checks.values().stream().anyMatch(c -> c != ServerFigures.DiskCheck.OK)) {
            overall = overall.worst(Health.WARNING);
        }
        Map<String, List<Allocation>> byServer = ledger.allocations().stream().collect(Collectors.groupingBy(Allocation::server));
        List<ServerFigures> servers = ledger.servers().stream()
                .map(s -> serverFigures(ledger, s, byServer.getOrDefault(s.name(), List.of()), diskByServer.get(s.name()),
                        checks.getOrDefault(s.name(), ServerFigures.DiskCheck.UNKNOWN)))
                .toList();
        notes.replaceAll(n -> "demo: " + n + " (the demo's servers are directories on one disk; with real servers this is a warning)");
        return new FleetStatus(figures, reserve, overall, warnings, errors, at, servers, notes);
    }

    private static ServerFigures serverFigures(CapacityLedger ledger, Server s, List<Allocation> on, ServerDiskUsage d,
                                               ServerFigures.DiskCheck check) {
        Optional<ServerFigures.Disk> disk = Optional.ofNullable(d).map(u -> new ServerFigures.Disk(u.pooledBytes(), u.otherBytes(),
                u.filesystemBytes(), u.filesystemFreeBytes(), u.volumeBytes(), u.measuredAt()));
        long share = ledger.poolOf(s).isPresent() ? ledger.shareOf(s) : 0;
        return new ServerFigures(s.name(), ledger.poolOf(s).map(PoolDefinition::name), share,
                share + (ledger.poolOf(s).isPresent() ? ledger.catalog().reserveBytes() : 0), ledger.allocatedOn(s.name()),
                on.size(), (int) on.stream().filter(ledger::isStranded).count(), disk, check);
    }

    /**
     * The guide's prerequisite: each server's disk holds its share plus the reserve; where servers
     * share one file system, it must hold what they declare together. Findings go to {@code findings}.
     */
    private static Map<String, ServerFigures.DiskCheck> checkDeclaredAgainstDisks(CapacityLedger ledger, List<Server> pooled,
                                                                              Map<String, ServerDiskUsage> diskByServer,
                                                                              List<String> findings) {
        Map<String, ServerFigures.DiskCheck> checks = new HashMap<>();
        Map<String, List<Server>> byFilesystem = new TreeMap<>();
        for (Server s : pooled) {
            ServerDiskUsage d = diskByServer.get(s.name());
            if (d != null && d.filesystemBytes() > 0) {
                byFilesystem.computeIfAbsent(d.filesystemId(), k -> new ArrayList<>()).add(s);
            }
        }
        long reserve = ledger.catalog().reserveBytes();
        for (Map.Entry<String, List<Server>> e : byFilesystem.entrySet()) {
            List<Server> group = e.getValue();
            long real = diskByServer.get(group.get(0).name()).filesystemBytes();
            if (group.size() == 1) {
                Server s = group.get(0);
                long required = ledger.shareOf(s) + reserve;
                boolean small = required > real;
                checks.put(s.name(), small ? ServerFigures.DiskCheck.TOO_SMALL : ServerFigures.DiskCheck.OK);
                if (small) {
                    findings.add("server " + s.name() + "'s disk holds " + Quantity.humanize(real) + ", less than its share "
                            + Quantity.humanize(ledger.shareOf(s)) + " plus the " + Quantity.humanize(reserve) + " reserve ("
                            + Quantity.humanize(required) + ")");
                }
                continue;
            }
            long declared = group.stream().mapToLong(s -> ledger.shareOf(s) + reserve).sum();
            boolean small = declared > real;
            group.forEach(s -> checks.put(s.name(), small ? ServerFigures.DiskCheck.SHARED_TOO_SMALL : ServerFigures.DiskCheck.OK));
            if (small) {
                findings.add("declared capacity exceeds the real disk: " + group.size() + " servers ("
                        + group.stream().map(Server::name).collect(Collectors.joining(", "))
                        + ") declare " + Quantity.humanize(declared) + " (shares + reserve) on a file system of "
                        + Quantity.humanize(real));
            }
        }
        return checks;
    }

    private static String describeUsage(double allocated, double measured) {
        return measured > allocated
                ? "measured usage " + fmt(measured) + "%"
                : "allocated usage " + fmt(allocated) + "%";
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
