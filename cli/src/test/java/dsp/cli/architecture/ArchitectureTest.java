package dsp.cli.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The module graph as rules, checked over the production classes of every module (the CLI sees
 * them all): core depends on nothing of ours; {@code dsp.json} (the published JSON) only on core;
 * the adapters (SQLite, node storage, Kubernetes, HTTP, configuration) never on each other; nothing on
 * the composition root {@code dsp.cli}; no package cycles. The second half runs the same rules over
 * a fixture that breaks each one once, so a rule that could never fail would show here.
 */
class ArchitectureTest {

    /** Main classes only: no test-classes directory and no test jar (the Kubernetes test cluster). */
    private static final ImportOption PRODUCTION = location -> !location.contains("/test-classes/")
            && !location.contains("-tests.jar");

    private static final JavaClasses PRODUCT = new ClassFileImporter()
            .withImportOption(PRODUCTION)
            .importPackages("dsp");

    static final HexagonalArchitecture DSP = HexagonalArchitecture.below("dsp")
            .domain("core")
            .publishedContract("json")
            .adapter("sqlite", "store.sqlite")
            .adapter("node", "node")
            .adapter("kubernetes", "kubernetes")
            .adapter("http", "api")
            .adapter("config", "config")
            .compositionRoot("cli");

    @Test
    void theProductHasClassesFromEveryModule() {
        for (String pkg : new String[] {"dsp.core", "dsp.json", "dsp.store.sqlite", "dsp.node", "dsp.kubernetes", "dsp.api", "dsp.config", "dsp.cli"}) {
            assertThat(PRODUCT.stream().anyMatch(c -> c.getPackageName().startsWith(pkg))).as(pkg).isTrue();
        }
        assertThat(PRODUCT.stream().noneMatch(c -> c.getName().endsWith("Test") || c.getName().equals("dsp.kubernetes.TestCluster")))
                .as("no test classes").isTrue();
    }

    @Test
    void coreDependsOnNothingOfOurs() {
        DSP.domainDependsOnNothingOfOurs().check(PRODUCT);
    }

    @Test
    void thePublishedJsonDependsOnlyOnCore() {
        DSP.contractDependsOnlyOnTheDomain().check(PRODUCT);
    }

    @Test
    void adaptersDoNotDependOnEachOther() {
        DSP.adaptersDoNotDependOnEachOther().check(PRODUCT);
    }

    @Test
    void nothingDependsOnTheCompositionRoot() {
        DSP.nothingDependsOnTheCompositionRoot().check(PRODUCT);
    }

    @Test
    void everyClassHasAPlace() {
        DSP.everyClassHasAPlace().check(PRODUCT);
    }

    @Test
    void packagesAreFreeOfCycles() {
        DSP.packagesAreFreeOfCycles().check(PRODUCT);
    }

    /** One process runner in the node module: the time limit and the drained pipes hold for every tool (qemu-img, du, cp). */
    @Test
    void theNodeModuleRunsToolsOnlyThroughItsProcessRunner() {
        com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses()
                .that().resideInAPackage("dsp.node..").and().doNotHaveFullyQualifiedName("dsp.node.ProcessRunner")
                .should().dependOnClassesThat().areAssignableTo(ProcessBuilder.class)
                .orShould().callMethodWhere(com.tngtech.archunit.base.DescribedPredicate.describe("Runtime.exec",
                        call -> call.getTargetOwner().isAssignableTo(Runtime.class) && call.getName().equals("exec")))
                .check(PRODUCT);
    }

    @Test
    void everyExemptionIsStillNeeded() {
        for (HexagonalArchitecture.Exemption e : DSP.exemptions()) {
            String target = switch (e.targetPart()) {
                case "http" -> "dsp.api.";
                case "config" -> "dsp.config.";
                case "node" -> "dsp.node.";
                default -> throw new IllegalArgumentException(e.targetPart());
            };
            boolean stillThere = PRODUCT.stream()
                    .filter(c -> c.getName().equals(e.originClass()) || c.getName().startsWith(e.originClass() + "$"))
                    .flatMap(c -> c.getDirectDependenciesFromSelf().stream())
                    .anyMatch(d -> d.getTargetClass().getName().startsWith(target));
            assertThat(stillThere).as("exemption no longer needed, remove it: " + e).isTrue();
        }
    }

    // --- each rule can fail: the same rules over a fixture that breaks each of them once ---

    private static final String FIXTURE = "dsp.cli.architecture.fixture";

    private static final JavaClasses BROKEN = new ClassFileImporter().importPackages(FIXTURE);

    private static final HexagonalArchitecture BROKEN_HEXAGON = HexagonalArchitecture.below(FIXTURE)
            .domain("core")
            .publishedContract("json")
            .adapter("store", "store")
            .adapter("node", "node")
            .adapter("kubernetes", "kubernetes")
            .adapter("http", "api")
            .adapter("cycle", "cycle")
            .compositionRoot("root")
            .exempt(FIXTURE + ".kubernetes.Wiring", "http", "fixture: an exemption is honoured");

    @Test
    void eachRuleReportsExactlyTheClassThatBreaksIt() {
        assertViolatedOnlyBy(HexagonalArchitecture::domainDependsOnNothingOfOurs, "core.Domain");
        assertViolatedOnlyBy(HexagonalArchitecture::contractDependsOnlyOnTheDomain, "json.Contract");
        assertViolatedOnlyBy(HexagonalArchitecture::adaptersDoNotDependOnEachOther, "kubernetes.KubernetesAdapter");
        assertViolatedOnlyBy(HexagonalArchitecture::nothingDependsOnTheCompositionRoot, "api.HttpAdapter");
        assertViolatedOnlyBy(HexagonalArchitecture::everyClassHasAPlace, "stray.Stray");
        assertViolatedOnlyBy(HexagonalArchitecture::packagesAreFreeOfCycles, "cycle.a");
    }

    @Test
    void withoutItsExemptionTheWiringClassBreaksTheAdapterRule() {
        HexagonalArchitecture strict = HexagonalArchitecture.below(FIXTURE).domain("core").publishedContract("json")
                .adapter("node", "node").adapter("kubernetes", "kubernetes").adapter("http", "api").compositionRoot("root");
        assertThat(report(strict.adaptersDoNotDependOnEachOther())).contains(FIXTURE + ".kubernetes.Wiring");
    }

    /** The rule fails on the fixture, and every line of its report starts at the culprit (no innocent is blamed). */
    private static void assertViolatedOnlyBy(Function<HexagonalArchitecture, ArchRule> rule, String culprit) {
        EvaluationResult result = rule.apply(BROKEN_HEXAGON).evaluate(BROKEN);
        assertThat(result.hasViolation()).as("the rule fails on its fixture").isTrue();
        List<String> details = result.getFailureReport().getDetails();
        assertThat(details).isNotEmpty().allSatisfy(line -> assertThat(line).as("blames only " + culprit)
                .containsPattern("^(Method|Constructor|Field|Class) <" + Pattern.quote(FIXTURE + "." + culprit)
                        + "|^adapter \\w+ -> adapter \\w+: \\w+ <" + Pattern.quote(FIXTURE + "." + culprit)
                        + "|^Cycle detected: Slice " + Pattern.quote(culprit)));
    }

    private static String report(ArchRule rule) {
        EvaluationResult result = rule.evaluate(BROKEN);
        assertThat(result.hasViolation()).isTrue();
        return String.join("\n", result.getFailureReport().getDetails());
    }
}
