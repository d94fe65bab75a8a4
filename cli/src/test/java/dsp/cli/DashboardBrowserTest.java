package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dsp.cli.standalone.StandaloneServer;
import dsp.config.PoolConfig;
import dsp.testing.RequiredTool;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;

/**
 * The dashboard at {@code /} in real headless Chromium (Debian's chromium and chromedriver)
 * against a standalone demo server: the demo's numbers are there at load, a move through the API
 * changes the bars, a move through the page asks first. Screenshots go to target/.
 */
class DashboardBrowserTest {

    private static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static final RequiredTool CHROMEDRIVER = new RequiredTool("chromedriver",
            "apt-get install chromium chromium-driver (make test-deps does it as root)");

    @TempDir
    Path tmp;

    private StandaloneServer server;
    private ChromeDriver browser;
    private Http http;

    @BeforeEach
    void start() {
        Path chromium = RequiredTool.CHROMIUM.require();
        Path chromedriver = CHROMEDRIVER.require();
        RequiredTool.QEMU_IMG.require();
        server = new StandaloneServer(PoolConfig.Configuration.guideDefaults(), tmp.resolve("data"), Clock.systemUTC(), true);
        server.seedDemoIfEmpty();
        server.ensureDemoTemplate();
        http = new Http("http://127.0.0.1:" + server.start("127.0.0.1", 0));
        assertThat(http.post("/api/v1/vms", "{\"name\": \"test-vm\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\", \"storage\": 50}")
                .status()).isEqualTo(201);
        assertThat(http.post("/api/v1/vms", "{\"name\": \"db-vm\", \"image\": \"ubuntu22\", \"server_type\": \"cx31\", \"storage\": 600}")
                .status()).isEqualTo(201);
        assertThat(http.post("/api/v1/volumes", "{\"name\": \"app-data\", \"pool\": \"k8s\", \"size\": \"100Gi\"}").status()).isEqualTo(201);

        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1900", "--user-data-dir=" + tmp.resolve("chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theDemoIsOnScreenAtLoadAndMovesChangeTheBars() throws Exception {
        browser.get(http.base() + "/");
        // no waiting: the figures are inlined, so the first paint has them
        screenshot("dashboard-at-load.png");
        assertThat(text(".pool[data-pool='k8s_pool'] .capacity")).isEqualTo("3 TB");
        assertThat(text(".pool[data-pool='vm_pool'] .capacity")).isEqualTo("3 TB");
        assertThat(text(".pool[data-pool='vm_pool'] .used")).isEqualTo("650 GB");
        assertThat(text(".pool[data-pool='vm_pool'] .alloc-pct")).isEqualTo("21.67%");
        assertThat(text("#overall")).isEqualToIgnoringCase("healthy");
        assertThat(text("#servers tbody")).contains("k8s-server-1").contains("vm-server-2").containsIgnoringCase("shared too small");
        assertThat(text("#vms")).contains("test-vm").contains("db-vm").contains("cx21");
        assertThat(text("#volumes")).contains("app-data").contains("107.37");
        assertThat(text("#msgs")).contains("demo: declared capacity exceeds the real disk");
        assertThat(browser.findElements(By.cssSelector("#history path.allocated"))).as("a history line per pool").hasSize(2);

        // filter and sort the VMs
        // "db-vm", not "db": the filter searches every column, and a VM's random hex id may contain "db"
        browser.findElement(By.id("vmFilter")).sendKeys("db-vm");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> // the table redraws on the next input event
                assertThat(browser.executeScript("return document.querySelectorAll('#vms tbody tr').length;")).isEqualTo(1L));
        browser.findElement(By.id("vmFilter")).clear();
        browser.findElement(By.id("vmFilter")).sendKeys(" ");
        // clicked in the page: the live refresh may redraw the table between a find and a click (a stale element)
        String clickStorageHeader = "document.querySelector(\"#vms th[data-key='storage']\").click();";
        browser.executeScript(clickStorageHeader);
        browser.executeScript(clickStorageHeader); // descending
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(text("#vms tbody tr td")).isEqualTo("db-vm"));

        // the guide's Example 3 through the API: the page follows within its refresh
        assertThat(http.put("/api/v1/servers/k8s-server-1", "{\"pool\": \"vm\"}").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(text(".pool[data-pool='vm_pool'] .capacity")).isEqualTo("4.5 TB");
            assertThat(text(".pool[data-pool='k8s_pool'] .capacity")).isEqualTo("1.5 TB");
        });
        var status = http.get("/api/v1/pools/status").json();
        for (String pool : List.of("k8s_pool", "vm_pool")) {
            double usage = status.get(pool).get("usage_percentage").asDouble();
            assertThat(text(".pool[data-pool='" + pool + "'] .alloc-pct")).isEqualTo(String.format(java.util.Locale.ROOT, "%.2f%%", usage));
            assertThat(barWidth(pool)).as(pool + " bar").isCloseTo(usage, org.assertj.core.data.Offset.offset(0.01));
        }
        assertThat(barWidth("vm_pool")).as("650 GB of 4.5 TB and whatever sits on k8s-server-1").isLessThan(21.67);

        // a move through the page asks first; cancelling changes nothing
        chooseMove("vm-server-2", "k8s");
        assertThat(text("#confirmText")).contains("Move server vm-server-2 from the vm pool to the k8s pool");
        browser.findElement(By.id("confirmNo")).click();
        assertThat(http.get("/api/v1/servers/vm-server-2").json().get("pool").asText()).isEqualTo("vm");

        chooseMove("vm-server-2", "k8s");
        browser.findElement(By.id("confirmYes")).click();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(http.get("/api/v1/servers/vm-server-2").json().get("pool").asText()).isEqualTo("k8s"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(text(".pool[data-pool='k8s_pool'] .capacity")).isEqualTo("3 TB");
            assertThat(text("#servers tr[data-server='vm-server-2'] .poolname")).as("the servers table follows too").isEqualTo("k8s");
        });
        screenshot("dashboard-after-moves.png");
    }

    /** The page re-renders every 5 s: read in one call, so no element goes stale between finding and reading it. */
    private String text(String css) {
        Object t = browser.executeScript("const e = document.querySelector(arguments[0]); return e ? e.innerText : null;", css);
        return t == null ? null : t.toString();
    }

    /** Picks a pool in a server's row and presses Move, again if a refresh replaced the row meanwhile. */
    private void chooseMove(String server, String pool) {
        await().atMost(Duration.ofSeconds(10)).ignoreException(StaleElementReferenceException.class).untilAsserted(() -> {
            WebElement row = browser.findElement(By.cssSelector("#servers tr[data-server='" + server + "']"));
            new Select(row.findElement(By.tagName("select"))).selectByValue(pool);
            row.findElement(By.className("move")).click();
            assertThat(browser.findElement(By.id("confirm")).getAttribute("class")).contains("open");
        });
    }

    /** The allocated bar's width in percent, as the page set it. */
    private double barWidth(String key) {
        Object width = browser.executeScript("return document.querySelector(arguments[0]).style.width;",
                ".pool[data-pool='" + key + "'] .bar .fill");
        return Double.parseDouble(width.toString().replace("%", ""));
    }

    private void screenshot(String name) throws Exception {
        Files.createDirectories(SCREENSHOTS);
        File shot = browser.getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }

}
