package dsp.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The dependency rule: the core depends on nothing but itself and the JDK, and does no I/O. */
class ArchitectureTest {

    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dsp.core");

    @Test
    void coreDependsOnlyOnItselfAndTheJdk() {
        classes().should().onlyDependOnClassesThat()
                .resideInAnyPackage("dsp.core..", "java.lang..", "java.util..", "java.time..", "java.math..")
                .check(CORE);
    }

    @Test
    void coreDoesNoIo() {
        noClasses().should().dependOnClassesThat()
                .resideInAnyPackage("java.io..", "java.nio..", "java.net..", "java.sql..", "java.lang.reflect..")
                .orShould().callMethod(System.class, "currentTimeMillis")
                .check(CORE);
    }

    @Test
    void domainModelDoesNotDependOnUseCasesOrAdapters() {
        noClasses().that().resideInAPackage("dsp.core.model..")
                .should().dependOnClassesThat().resideInAnyPackage("dsp.core.usecase..", "dsp.core.port..")
                .check(CORE);
    }
}
