package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A body that is not exactly the route's object is a 400 whose message names the field and what it
 * must be, in the user's words (the JSON name, "a whole number", the field's own description), and
 * the request changes nothing: no server relabelled, no volume, VM or template made.
 */
class RequestBodiesTest {

    private final ApiHarness h = new ApiHarness();

    @BeforeEach
    void fleet() {
        assertThat(h.put("/api/v1/servers/k8s-1", "{\"pool\": \"k8s\"}").status()).isEqualTo(201);
        assertThat(h.put("/api/v1/servers/vm-1", "{\"pool\": \"vm\"}").status()).isEqualTo(201);
    }

    @AfterEach
    void stop() {
        h.close();
    }

    /** Everything a refused request could have changed, as the stores hold it. */
    private List<Object> state() {
        return List.of(h.inventory.listServers(), h.store.listAllocations(), h.vms.listVms(), h.volumes.listTemplates());
    }

    @ParameterizedTest(name = "{0} {1} <- {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            // nothing, or not one object
            "PUT|/api/v1/servers/k8s-1|``|request body is empty; expected a JSON object",
            "PUT|/api/v1/servers/k8s-1|`   `|request body is empty; expected a JSON object",
            "PUT|/api/v1/servers/k8s-1|[1]|request body must be a JSON object",
            "PUT|/api/v1/servers/k8s-1|\"vm\"|request body must be a JSON object",
            "PUT|/api/v1/servers/k8s-1|{\"pool\": \"vm\"} {}|request body must be one JSON object with nothing after it",
            // not JSON: Jackson's words without where in its source it was, which names its own settings
            "PUT|/api/v1/servers/k8s-1|{\"pool\": \"vm\"|request body is not valid JSON: Unexpected end-of-input: expected close marker for Object",
            "PUT|/api/v1/servers/k8s-1|{\"pool\" \"vm\"}|request body is not valid JSON: Unexpected character ('\"' (code 34)): was expecting a colon to separate field name and value",
            "PUT|/api/v1/servers/k8s-1|{\"pool\": 01}|request body is not valid JSON: Invalid numeric value: Leading zeroes not allowed",
            // nor the parser settings its hints name, which a client cannot change
            "PUT|/api/v1/servers/k8s-1|{\"pool\": NaN}|request body is not valid JSON: Non-standard token 'NaN'",
            "PUT|/api/v1/servers/k8s-1|/* vm */ {\"pool\": \"vm\"}|request body is not valid JSON: Unexpected character ('/' (code 47)): maybe a (non-standard) comment?",
            // fields
            "PUT|/api/v1/servers/k8s-1|{\"pool\": \"vm\", \"pool\": \"k8s\"}|duplicate field 'pool'; each field may appear once",
            "PUT|/api/v1/servers/k8s-1|{\"pool\": \"vm\", \"colour\": 1}|unknown field 'colour'; allowed fields are [capacity, pool]",
            "PUT|/api/v1/servers/k8s-1|{}|field 'pool' is required: a pool name to add or move the server, or null to take it out of its pool",
            "PUT|/api/v1/servers/k8s-1|{\"pool\": 5}|field 'pool' must be a string or null",
            "PUT|/api/v1/servers/k8s-1|{\"pool\": \"vm\", \"capacity\": true}|field 'capacity' must be a number of GB or a quantity such as \"1.5T\"",
            "PUT|/api/v1/servers/k8s-1|{\"pool\": \"vm\", \"capacity\": 1e99999999999}|field 'capacity' is out of range or malformed",
            "PUT|/api/v1/servers/k8s-1|{\"pool\": \"vm\", \"capacity\": 0}|field 'capacity' must be positive",
            "PUT|/api/v1/servers/k8s-1|{\"pool\": \"vm\", \"capacity\": 5e-400}|field 'capacity' must be positive",
            "POST|/api/v1/vms|{\"name\": \"w\", \"image\": \"ubuntu22\", \"cpu\": 99999999999}|field 'cpu' is out of range or malformed",
            "POST|/api/v1/vms|{\"name\": \"w\", \"image\": \"ubuntu22\", \"cpu\": \"two\"}|field 'cpu' must be a whole number",
            "POST|/api/v1/vms|{\"name\": \"w\", \"image\": \"ubuntu22\", \"memory\": 1.5}|field 'memory' must be a whole number",
            "POST|/api/v1/vms|{\"name\": \"w\", \"image\": \"ubuntu22\", \"server_type\": 3}|field 'server_type' must be a string",
            "POST|/api/v1/vms|{\"name\": \"w\"}|field 'image' is required: the name of a template, e.g. ubuntu22",
            "POST|/api/v1/vms|{\"name\": null, \"image\": \"ubuntu22\"}|field 'name' is required and may not be null: the VM's name, e.g. \"test-vm\"",
            "POST|/api/v1/vms|{\"name\": \"w\", \"image\": \"ubuntu22\", \"gpu\": 1}|unknown field 'gpu'; allowed fields are [cpu, disk_format, image, memory, name, namespace, server_type, storage]",
            "POST|/api/v1/vms/nope/resize|{}|field 'new_size_gb' is required: e.g. {\"new_size_gb\": 100}",
            "POST|/api/v1/vms/nope/resize|{\"new_size_gb\": [100]}|field 'new_size_gb' must be a number of GB or a quantity such as \"1.5T\"",
            "POST|/api/v1/vms/nope/resize|{\"new_size_gb\": \"lots\"}|'lots' is not a size; expected a quantity such as 1.5T, 1500G or 100Gi",
            "POST|/api/v1/volumes|{\"name\": \"v\", \"pool\": \"k8s\"}|field 'size' is required: GB as a number or a quantity such as \"100Gi\"",
            "POST|/api/v1/volumes|{\"name\": \"v\", \"pool\": \"k8s\", \"size\": 0}|field 'size' must be positive",
            "POST|/api/v1/templates|{\"source\": \"a.qcow2\"}|field 'name' is required: the template's name",
            "POST|/api/v1/templates|{\"name\": \"t\"}|give either source (a file in the import directory) or url and sha256",
            "POST|/api/v1/templates|{\"name\": \"t\", \"source\": \"a.qcow2\", \"url\": \"https://example.com/a.img\"}|give either source (a file in the import directory) or url and sha256",
            // query flags are as strict as bodies
            "DELETE|/api/v1/volumes/nope?purge=yes|``|purge must be true or false, not 'yes'",
            "DELETE|/api/v1/volumes/nope?purge=TRUE|``|purge must be true or false, not 'TRUE'",
            "DELETE|/api/v1/vms/nope?purge=1|``|purge must be true or false, not '1'",
            "POST|/api/v1/servers/k8s-1/drain?dry_run=maybe|``|dry_run must be true or false, not 'maybe'",
            "POST|/api/v1/cleanup?dry_run=no|``|dry_run must be true or false, not 'no'"})
    void aBadBodyIsA400NamingTheFieldAndChangesNothing(String method, String path, String body, String message) {
        List<Object> before = state();
        ApiHarness.Reply r = h.send(method, path, body);
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        JsonNode error = r.json().get("error");
        assertThat(error.get("code").asText()).isEqualTo("invalid");
        assertThat(error.get("message").asText()).isEqualTo(message);
        assertThat(state()).isEqualTo(before);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "{\"pool\": \"vm\", \"capacity\": 0.000000001}|1",
            "{\"pool\": \"vm\", \"capacity\": \"2T\"}|2000000000000",
            "{\"pool\": \"vm\", \"capacity\": null}|"})
    void theSmallestPositiveSizeAndAbsentOptionalFieldsAreAccepted(String body, Long capacityBytes) {
        ApiHarness.Reply r = h.put("/api/v1/servers/k8s-1", body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(h.inventory.findServer("k8s-1").orElseThrow().pool()).contains("vm");
        assertThat(h.inventory.findServer("k8s-1").orElseThrow().shareOverride()).isEqualTo(java.util.Optional.ofNullable(capacityBytes));
    }
}
