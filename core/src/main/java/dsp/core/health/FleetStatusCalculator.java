package dsp.core.health;

import dsp.core.ledger.LedgerServer;
import dsp.core.ledger.LedgerTotals;
import dsp.core.model.PoolCatalog;
import dsp.core.model.Quantity;
import dsp.core.model.Thresholds;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Turns the ledger's totals into the numbers and health the guide shows. Health takes the higher
 * of allocated % and measured % against the thresholds. Works on totals only, so it costs the
 * same for 5 servers as for 5,000 (servers are named only where a finding names them).
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

    public FleetStatus calculate(LedgerTotals totals, PoolCatalog catalog, Instant at) {
        Thresholds thresholds = catalog.thresholds();
        List<String> warnings = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        List<PoolFigures> figures = new ArrayList<>();
        Health overall = Health.HEALTHY;

        for (LedgerTotals.Pool p : totals.pools()) {
            double usage = Quantity.percent(p.used(), p.capacity());
            double measuredUsage = Quantity.percent(p.measured(), p.capacity());
            double worst = Math.max(usage, measuredUsage);
            Health health = Health.HEALTHY;
            String key = p.pool().statusKey();
            if (worst > thresholds.criticalPercent()) {
                health = Health.CRITICAL;
                errors.add(key + " is critical: " + describeUsage(usage, measuredUsage)
                        + " is above " + fmt(thresholds.criticalPercent()) + "%");
            } else if (worst > thresholds.warningPercent()) {
                health = Health.WARNING;
                warnings.add(key + " is above the warning threshold: " + describeUsage(usage, measuredUsage)
                        + " is above " + fmt(thresholds.warningPercent()) + "%");
            }
            if (p.strandedCount() > 0) {
                health = health.worst(Health.WARNING);
                warnings.add(key + " has " + p.strandedCount() + " stranded volume" + (p.strandedCount() == 1 ? "" : "s")
                        + " (" + Quantity.humanize(p.strandedBytes()) + ") on servers outside the pool: "
                        + names(p.strandedServers(), p.strandedServerCount()) + "; the data is untouched and stays until deleted");
            }
            overall = overall.worst(health);
            figures.add(new PoolFigures(p.pool(), p.servers(), p.capacity(), p.used(), p.available(), usage,
                    p.measured(), measuredUsage, p.ownBytes(), p.ownCount(), p.strandedBytes(), p.strandedCount(), health,
                    p.measuredAt()));
        }

        for (LedgerTotals.UnknownLabel u : totals.unknownLabels()) {
            warnings.add(u.serverCount() == 1
                    ? "server " + u.servers().get(0) + " is labelled pool=" + u.label()
                            + " but no such pool is configured; it contributes to no pool"
                    : u.serverCount() + " servers (" + names(u.servers(), u.serverCount()) + ") are labelled pool=" + u.label()
                            + " but no such pool is configured; they contribute to no pool");
            overall = overall.worst(Health.WARNING);
        }
        long reserveCapacity = totals.reserveCapacity();
        long reserveUsed = totals.reserveUsed();
        ReserveFigures reserve = new ReserveFigures(totals.reserveServers(), reserveCapacity, reserveUsed,
                Math.max(0, reserveCapacity - reserveUsed), Quantity.percent(reserveUsed, reserveCapacity),
                totals.reserveMeasuredAt());

        // the guide's prerequisite: a disk holds its servers' shares plus the reserve; shares are
        // promises, so where servers sharing one file system promise more than it holds, say so
        List<String> notes = new ArrayList<>();
        List<String> findings = simulatedServers ? notes : warnings;
        List<FleetStatus.DiskFinding> diskFindings = new ArrayList<>();
        for (LedgerTotals.OverDeclared o : totals.overDeclared()) {
            int count = o.servers().size();
            ServerFigures.DiskCheck check = count == 1 ? ServerFigures.DiskCheck.TOO_SMALL : ServerFigures.DiskCheck.SHARED_TOO_SMALL;
            o.servers().forEach(s -> diskFindings.add(new FleetStatus.DiskFinding(s, check)));
            if (count == 1) {
                long reserveBytes = catalog.reserveBytes();
                findings.add("server " + o.servers().get(0) + "'s disk holds " + Quantity.humanize(o.realBytes())
                        + ", less than its share " + Quantity.humanize(o.declaredBytes() - reserveBytes) + " plus the "
                        + Quantity.humanize(reserveBytes) + " reserve (" + Quantity.humanize(o.declaredBytes()) + ")");
            } else {
                findings.add("declared capacity exceeds the real disk: " + count + " servers ("
                        + names(o.servers().subList(0, Math.min(count, NAMES_SHOWN)), count) + ") declare "
                        + Quantity.humanize(o.declaredBytes()) + " (shares + reserve) on a file system of "
                        + Quantity.humanize(o.realBytes()));
            }
            if (!simulatedServers) {
                overall = overall.worst(Health.WARNING);
            }
        }
        diskFindings.sort(java.util.Comparator.comparing(FleetStatus.DiskFinding::server));
        notes.replaceAll(n -> "demo: " + n + " (the demo's servers are directories on one disk; with real servers this is a warning)");
        Optional<Instant> measuredAt = Stream.concat(figures.stream().map(PoolFigures::measuredAt), Stream.of(reserve.measuredAt()))
                .flatMap(Optional::stream).min(Instant::compareTo);
        return new FleetStatus(figures, reserve, overall, warnings, errors, at, measuredAt, List.copyOf(diskFindings), notes);
    }

    /** One server's figures and its disk against the prerequisite (share + reserve). */
    public static ServerFigures serverFigures(LedgerServer s, long reserveBytes) {
        Optional<ServerFigures.Disk> disk = s.disk().map(u -> new ServerFigures.Disk(u.pooledBytes(), u.otherBytes(),
                u.filesystemBytes(), u.filesystemFreeBytes(), u.volumeBytes(), s.measuredAt().or(u::measuredAt)));
        ServerFigures.DiskCheck check = s.filesystemPeers() == 0 ? ServerFigures.DiskCheck.UNKNOWN
                : !s.filesystemOverDeclared() ? ServerFigures.DiskCheck.OK
                : s.filesystemPeers() == 1 ? ServerFigures.DiskCheck.TOO_SMALL : ServerFigures.DiskCheck.SHARED_TOO_SMALL;
        return new ServerFigures(s.server().name(), s.pool().map(p -> p.name()), s.share(),
                s.share() + (s.pool().isPresent() ? reserveBytes : 0), s.allocated(), s.volumes(), s.strandedVolumes(), disk, check);
    }

    /** Servers named in one finding; the rest are counted. */
    static final int NAMES_SHOWN = 10;

    /** "a, b, c" or "a, b, c and 4997 more". */
    private static String names(List<String> first, int total) {
        String shown = String.join(", ", first);
        return total > first.size() ? shown + " and " + (total - first.size()) + " more" : shown;
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
