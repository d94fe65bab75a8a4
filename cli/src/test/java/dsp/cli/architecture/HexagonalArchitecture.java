package dsp.cli.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.PackageMatcher;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dependency rules of a hexagon, after buckpal's {@code HexagonalArchitecture}: the domain
 * depends on nothing of ours; the published JSON contract only on the domain; adapters never on
 * each other; nothing on the composition root; every class has a place; no package cycles.
 * Parts are packages below one base, so the same rules can be run over a fixture that breaks them.
 */
final class HexagonalArchitecture {

    /** A dependency that is known and on its way out: who, on what part, and why it is still there. */
    record Exemption(String originClass, String targetPart, String why) {
    }

    private final String base;
    private String domain;
    private String contract;
    private final Map<String, String> adapters = new LinkedHashMap<>();
    private final Map<String, PackageMatcher> adapterMatchers = new LinkedHashMap<>();
    private final List<String> roots = new ArrayList<>();
    private final List<Exemption> exemptions = new ArrayList<>();

    private HexagonalArchitecture(String base) {
        this.base = base;
    }

    static HexagonalArchitecture below(String basePackage) {
        return new HexagonalArchitecture(basePackage);
    }

    HexagonalArchitecture domain(String subPackage) {
        this.domain = pkg(subPackage);
        return this;
    }

    HexagonalArchitecture publishedContract(String subPackage) {
        this.contract = pkg(subPackage);
        return this;
    }

    HexagonalArchitecture adapter(String name, String subPackage) {
        adapters.put(name, pkg(subPackage));
        adapterMatchers.put(name, PackageMatcher.of(pkg(subPackage)));
        return this;
    }

    HexagonalArchitecture compositionRoot(String subPackage) {
        roots.add(pkg(subPackage));
        return this;
    }

    /** Lets one class keep one dependency across parts, with the reason written down. */
    HexagonalArchitecture exempt(String originClass, String targetAdapter, String why) {
        exemptions.add(new Exemption(originClass, targetAdapter, why));
        return this;
    }

    ArchRule domainDependsOnNothingOfOurs() {
        return noClasses().that().resideInAPackage(domain)
                .should().dependOnClassesThat(ours().and(not(resideInAPackage(domain))))
                .because("the domain is pure: everything else depends on it, never the reverse");
    }

    ArchRule contractDependsOnlyOnTheDomain() {
        return noClasses().that().resideInAPackage(contract)
                .should().dependOnClassesThat(ours().and(not(resideInAnyPackage(domain, contract))))
                .because("the published JSON is shared by adapters, so it may not pull any adapter in");
    }

    ArchRule adaptersDoNotDependOnEachOther() {
        return classes().that(inAnyAdapter()).should(new ArchCondition<JavaClass>("depend on no other adapter " + adapters.keySet()) {
            @Override
            public void check(JavaClass origin, ConditionEvents events) {
                String own = adapterOf(origin);
                for (Dependency d : origin.getDirectDependenciesFromSelf()) {
                    String target = adapterOf(d.getTargetClass());
                    if (target != null && !target.equals(own) && !isExempt(origin, target)) {
                        events.add(SimpleConditionEvent.violated(d, "adapter " + own + " -> adapter " + target + ": " + d.getDescription()));
                    }
                }
            }
        }).because("adapters talk to the domain's ports; the composition root wires them together");
    }

    ArchRule nothingDependsOnTheCompositionRoot() {
        return noClasses().that(not(resideInAnyPackage(roots.toArray(String[]::new))))
                .should().dependOnClassesThat().resideInAnyPackage(roots.toArray(String[]::new))
                .because("the composition root is on top: it wires the others and nothing reaches back into it");
    }

    ArchRule everyClassHasAPlace() {
        List<String> parts = new ArrayList<>(List.of(domain, contract));
        parts.addAll(adapters.values());
        parts.addAll(roots);
        return classes().that(ours()).should().resideInAnyPackage(parts.toArray(String[]::new))
                .because("a class outside every part would escape these rules; declare its part here");
    }

    ArchRule packagesAreFreeOfCycles() {
        return slices().matching(base + ".(**)").should().beFreeOfCycles();
    }

    List<ArchRule> rules() {
        return List.of(domainDependsOnNothingOfOurs(), contractDependsOnlyOnTheDomain(), adaptersDoNotDependOnEachOther(),
                nothingDependsOnTheCompositionRoot(), everyClassHasAPlace(), packagesAreFreeOfCycles());
    }

    List<Exemption> exemptions() {
        return List.copyOf(exemptions);
    }

    private DescribedPredicate<JavaClass> ours() {
        return resideInAPackage(base + "..");
    }

    private DescribedPredicate<JavaClass> inAnyAdapter() {
        return DescribedPredicate.describe("are in an adapter", c -> adapterOf(c) != null);
    }

    private String adapterOf(JavaClass c) {
        for (Map.Entry<String, PackageMatcher> e : adapterMatchers.entrySet()) {
            if (e.getValue().matches(c.getPackageName())) {
                return e.getKey();
            }
        }
        return null;
    }

    private boolean isExempt(JavaClass origin, String targetAdapter) {
        return exemptions.stream().anyMatch(e -> e.targetPart().equals(targetAdapter)
                && (origin.getName().equals(e.originClass()) || origin.getName().startsWith(e.originClass() + "$")));
    }

    private String pkg(String subPackage) {
        return base + "." + subPackage + "..";
    }
}
