package linkguard.neo4j;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.database.DatabaseContext;
import org.neo4j.dbms.database.DatabaseContextProvider;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.kernel.database.Database;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.kernel.internal.Version;
import org.neo4j.server.CommunityBootstrapper;

/**
 * Runs a Neo4j 5.26 Community server (Bolt + HTTP + Neo4j Browser, optionally APOC) in this JVM
 * for development, tests and CI, keeping every file under one data directory.
 *
 * <p>The server is started through {@link CommunityBootstrapper}, the same entry point that {@code
 * neo4j console} uses, rather than through the harness' {@code Neo4jBuilders}: the in-process
 * harness always works in a random sub-folder that it deletes on close, whereas a dev server must
 * keep its data and logs between runs. The bootstrapper also brings the server's own pid file,
 * SIGTERM/SIGINT handling (clean shutdown through a JVM shutdown hook) and log files.
 *
 * <p>Files under the data directory:
 *
 * <pre>
 *   data/                     databases and transaction logs
 *   logs/                     neo4j.log, debug.log, http.log, query.log
 *   run/neo4j.pid             written by Neo4j at start-up
 *   run/devserver.json        ready file: written once Bolt and HTTP accept connections, removed at shutdown
 *   conf/neo4j.conf           optional, read if present; command-line settings win over it
 * </pre>
 *
 * <p>Options (each also read from the environment variable in brackets):
 *
 * <pre>
 *   --data-dir DIR        (LINKGUARD_NEO4J_DATA_DIR)  required
 *   --bolt-port N         (LINKGUARD_NEO4J_BOLT_PORT) default 7687
 *   --http-port N         (LINKGUARD_NEO4J_HTTP_PORT) default 7474
 *   --host HOST           (LINKGUARD_NEO4J_HOST)      default localhost; address both connectors listen on
 *   (LINKGUARD_NEO4J_PASSWORD only)  enables authentication for user neo4j; default: auth disabled.
 *                         Never an argument: the command line is visible to every user and in debug.log.
 *   --plugins-dir DIR     (LINKGUARD_NEO4J_PLUGINS_DIR) default: plugins/ next to the launcher jar (APOC)
 *   --pagecache SIZE      (LINKGUARD_NEO4J_PAGECACHE) default 512m
 *   --conf KEY=VALUE      any Neo4j setting, repeatable
 * </pre>
 */
public final class DevServer {
    static final String READY_FILE = "run/devserver.json";

    private DevServer() {}

    public static void main(String[] argv) throws Exception {
        Options options;
        try {
            options = Options.parse(argv);
        } catch (IllegalArgumentException e) {
            System.err.println("linkguard-neo4j-devserver: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(64); // EX_USAGE
            return;
        }

        Path home = options.dataDir.toAbsolutePath().normalize();
        Files.createDirectories(home.resolve("run"));
        Files.createDirectories(home.resolve("logs"));
        Files.createDirectories(home.resolve("import"));
        Path readyFile = home.resolve(READY_FILE);
        // A ready file left behind by a killed JVM must not make callers believe this one is up.
        Files.deleteIfExists(readyFile);

        long startedNanos = System.nanoTime();
        // Installs SIGTERM/SIGINT handlers that call System.exit(0); the bootstrapper's shutdown hook
        // then stops the DBMS cleanly and removes run/neo4j.pid.
        Path confFile = home.resolve("conf/neo4j.conf");
        Map<String, String> settings = options.neo4jSettings(home);
        CommunityBootstrapper[] current = {null};
        BulkImports.Dbms dbms = new BulkImports.Dbms() {
            @Override
            public void stop() {
                try {
                    Files.deleteIfExists(readyFile);
                } catch (IOException ignored) {
                    // Callers also check that the DBMS answers.
                }
                current[0].stop();
            }

            @Override
            public int start() throws IOException {
                long t0 = System.nanoTime();
                CommunityBootstrapper bootstrapper = new CommunityBootstrapper();
                int code = bootstrapper.start(
                        home, Files.isRegularFile(confFile) ? confFile : null, settings, false, false);
                if (code != 0) {
                    return code;
                }
                current[0] = bootstrapper;
                if (options.password != null) {
                    setInitialPassword(bootstrapper.getDatabaseManagementService(), options.password);
                }
                writeReadyFile(readyFile, options, (System.nanoTime() - t0) / 1_000_000L);
                return 0;
            }

            @Override
            public boolean stopDatabase(String name) {
                Database database = database(name);
                if (database == null) {
                    return false;
                }
                database.stop();
                return true;
            }

            @Override
            public int startDatabase(String name) {
                Database database = database(name);
                if (database == null) {
                    return 1;
                }
                try {
                    database.start();
                } catch (RuntimeException e) {
                    System.err.println("linkguard-neo4j-devserver: database " + name + " did not start: " + e);
                    return 1;
                }
                return database.isStarted() ? 0 : 1;
            }

            /** The kernel's database object of a user database, or null when it cannot be reached. */
            private Database database(String name) {
                try {
                    DatabaseManagementService service = current[0].getDatabaseManagementService();
                    GraphDatabaseAPI system = (GraphDatabaseAPI) service.database("system");
                    DatabaseContextProvider<?> databases =
                            system.getDependencyResolver().resolveDependency(DatabaseContextProvider.class);
                    return databases
                            .getDatabaseContext(name)
                            .flatMap(DatabaseContext::optionalDatabase)
                            .filter(database -> !database.getNamedDatabaseId().isSystemDatabase())
                            .orElse(null);
                } catch (RuntimeException e) {
                    return null;
                }
            }
        };
        int code = dbms.start();
        if (code != 0) {
            System.err.printf(
                    "linkguard-neo4j-devserver: Neo4j failed to start (exit code %d); see %s%n",
                    code, home.resolve("logs/neo4j.log"));
            System.exit(code);
            return;
        }
        BulkImports.watch(home, dbms);

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Files.deleteIfExists(readyFile);
            } catch (IOException ignored) {
                // Best effort: callers also check that the pid in the file is alive.
            }
        }, "devserver-ready-file-cleanup"));

        System.out.printf(
                "linkguard-neo4j-devserver: Neo4j %s ready: bolt://%s:%d  http://%s:%d/browser/  (pid %d, in %d ms)%n",
                Version.getNeo4jVersion(),
                options.host,
                options.boltPort,
                options.host,
                options.httpPort,
                ProcessHandle.current().pid(),
                (System.nanoTime() - startedNanos) / 1_000_000L);
        System.out.flush();

        // Block the main thread forever; the process ends through the signal handlers above.
        new CountDownLatch(1).await();
    }

    /**
     * Sets the password of the built-in {@code neo4j} user. The embedded API runs with full
     * privileges, so this works even though authentication is enabled.
     */
    private static void setInitialPassword(DatabaseManagementService dbms, String password) {
        GraphDatabaseService system = dbms.database("system");
        try {
            system.executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        } catch (RuntimeException e) {
            // Neo4j refuses to "change" a password to its current value, which is what every restart
            // with the same password does; anything else is a real problem.
            String message = String.valueOf(e.getMessage());
            if (!message.contains("Old password and new password cannot be the same")) {
                throw e;
            }
        }
    }

    /** Writes the ready file atomically so that readers never see a half-written document. */
    private static void writeReadyFile(Path readyFile, Options options, long startupMillis) throws IOException {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("pid", ProcessHandle.current().pid());
        info.put("neo4j_version", Version.getNeo4jVersion());
        info.put("host", options.host);
        info.put("bolt_port", options.boltPort);
        info.put("http_port", options.httpPort);
        info.put("bolt_uri", "bolt://" + options.host + ":" + options.boltPort);
        info.put("http_uri", "http://" + options.host + ":" + options.httpPort);
        info.put("browser_uri", "http://" + options.host + ":" + options.httpPort + "/browser/");
        info.put("auth_enabled", options.password != null);
        info.put("apoc", options.pluginsDir != null);
        info.put("data_dir", readyFile.getParent().getParent().toString());
        info.put("started_at", Instant.now().toString());
        info.put("startup_ms", startupMillis);
        info.put("bulk_import", true);

        Path tmp = readyFile.resolveSibling(readyFile.getFileName() + ".tmp");
        Files.writeString(tmp, toJson(info) + "\n", StandardCharsets.UTF_8);
        try {
            Files.move(tmp, readyFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, readyFile, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Minimal JSON for a flat map of strings, numbers and booleans (no JSON library on purpose). */
    static String toJson(Map<String, Object> values) {
        StringBuilder out = new StringBuilder("{");
        for (Map.Entry<String, Object> entry : values.entrySet()) {
            if (out.length() > 1) {
                out.append(", ");
            }
            out.append(quote(entry.getKey())).append(": ");
            Object value = entry.getValue();
            if (value instanceof Number || value instanceof Boolean) {
                out.append(value);
            } else {
                out.append(quote(String.valueOf(value)));
            }
        }
        return out.append('}').toString();
    }

    private static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    static final String USAGE =
            """
            usage: java -Xmx2g -jar linkguard-neo4j-devserver.jar --data-dir DIR
                        [--bolt-port 7687] [--http-port 7474] [--host localhost]
                        [--plugins-dir DIR] [--pagecache 512m]
                        [--conf KEY=VALUE ...]
            """;

    /** Command-line options, falling back to LINKGUARD_NEO4J_* environment variables. */
    static final class Options {
        Path dataDir;
        int boltPort;
        int httpPort;
        String host;
        String password;
        Path pluginsDir;
        String pagecache;
        final List<String> extraSettings = new ArrayList<>();

        static Options parse(String[] argv) {
            Map<String, String> env = System.getenv();
            Options o = new Options();
            String dataDir = env.get("LINKGUARD_NEO4J_DATA_DIR");
            String bolt = env.getOrDefault("LINKGUARD_NEO4J_BOLT_PORT", "7687");
            String http = env.getOrDefault("LINKGUARD_NEO4J_HTTP_PORT", "7474");
            o.host = env.getOrDefault("LINKGUARD_NEO4J_HOST", "localhost");
            o.password = emptyToNull(env.get("LINKGUARD_NEO4J_PASSWORD"));
            String plugins = env.get("LINKGUARD_NEO4J_PLUGINS_DIR");
            o.pagecache = env.getOrDefault("LINKGUARD_NEO4J_PAGECACHE", "512m");

            for (int i = 0; i < argv.length; i++) {
                String arg = argv[i];
                String value;
                // Accept both "--opt value" and "--opt=value".
                int eq = arg.indexOf('=');
                if (arg.startsWith("--") && eq > 0) {
                    value = arg.substring(eq + 1);
                    arg = arg.substring(0, eq);
                } else if (arg.equals("-h") || arg.equals("--help")) {
                    System.out.print(USAGE);
                    System.exit(0);
                    return o;
                } else {
                    if (i + 1 >= argv.length) {
                        throw new IllegalArgumentException("missing value for " + arg);
                    }
                    value = argv[++i];
                }
                switch (arg) {
                    case "--data-dir" -> dataDir = value;
                    case "--bolt-port" -> bolt = value;
                    case "--http-port" -> http = value;
                    case "--host" -> o.host = value;
                    case "--password" -> throw new IllegalArgumentException(
                            "--password is not accepted: the command line is visible to every user; "
                                    + "set LINKGUARD_NEO4J_PASSWORD instead");
                    case "--plugins-dir" -> plugins = value;
                    case "--pagecache" -> o.pagecache = value;
                    case "--conf" -> {
                        if (!value.contains("=")) {
                            throw new IllegalArgumentException("--conf expects KEY=VALUE, got " + value);
                        }
                        o.extraSettings.add(value);
                    }
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                }
            }
            if (dataDir == null || dataDir.isBlank()) {
                throw new IllegalArgumentException("--data-dir is required");
            }
            o.dataDir = Path.of(dataDir);
            o.boltPort = port("bolt port", bolt);
            o.httpPort = port("http port", http);
            if (o.boltPort == o.httpPort) {
                throw new IllegalArgumentException("bolt and http ports must differ");
            }
            o.pluginsDir = plugins != null ? Path.of(plugins) : defaultPluginsDir();
            if (o.pluginsDir != null && !Files.isDirectory(o.pluginsDir)) {
                o.pluginsDir = null;
            }
            if (o.password == null && !isLoopback(o.host)) {
                throw new IllegalArgumentException("refusing to listen on " + o.host
                        + " without authentication: set LINKGUARD_NEO4J_PASSWORD, or listen on localhost");
            }
            return o;
        }

        /** True for localhost and the loopback addresses (127.0.0.0/8, ::1). */
        static boolean isLoopback(String host) {
            String h = host.trim().toLowerCase(java.util.Locale.ROOT);
            if (h.startsWith("[") && h.endsWith("]")) {
                h = h.substring(1, h.length() - 1);
            }
            return h.equals("localhost") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")
                    || h.matches("127(\\.\\d{1,3}){3}");
        }

        /** Settings handed to Neo4j; they override conf/neo4j.conf. */
        Map<String, String> neo4jSettings(Path home) {
            Map<String, String> s = new LinkedHashMap<>();
            String bolt = host + ":" + boltPort;
            String http = host + ":" + httpPort;
            s.put("server.bolt.enabled", "true");
            s.put("server.bolt.listen_address", bolt);
            // Neo4j Browser connects to the advertised Bolt address it reads from the HTTP discovery
            // document, so it must name the same host and port.
            s.put("server.bolt.advertised_address", bolt);
            s.put("server.bolt.tls_level", "DISABLED");
            s.put("server.http.enabled", "true");
            s.put("server.http.listen_address", http);
            s.put("server.http.advertised_address", http);
            s.put("server.https.enabled", "false");
            s.put("dbms.security.auth_enabled", Boolean.toString(password != null));
            s.put("server.memory.pagecache.size", pagecache);
            // No usage pings from development machines or CI.
            s.put("dbms.usage_report.enabled", "false");
            // Netty waits for a 5 s quiet period per event loop group at shutdown (10 s in all) after the
            // databases have already been stopped; nothing is in flight by then, so skip the wait.
            s.put("internal.dbms.bolt.netty_server_shutdown_quiet_period", "0");
            s.put("server.directories.logs", home.resolve("logs").toString());
            s.put("server.directories.run", home.resolve("run").toString());
            // LOAD CSV and the bulk importer read from import/ under the data folder only: without
            // it, file:/// URLs resolve from the filesystem root and anyone who reaches Bolt could
            // read any file the server can (LOAD CSV FROM 'file:///etc/passwd').
            s.put("server.directories.import", home.resolve("import").toString());
            if (pluginsDir != null) {
                s.put("server.directories.plugins", pluginsDir.toAbsolutePath().normalize().toString());
                s.put("dbms.security.procedures.unrestricted", "apoc.*,gds.*");
            }
            for (String kv : extraSettings) {
                int eq = kv.indexOf('=');
                s.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
            }
            return s;
        }

        private static int port(String name, String value) {
            try {
                int p = Integer.parseInt(value.trim());
                if (p < 1 || p > 65535) {
                    throw new NumberFormatException();
                }
                return p;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid " + name + ": " + value);
            }
        }

        private static String emptyToNull(String value) {
            return value == null || value.isEmpty() ? null : value;
        }

        /** plugins/ next to the launcher jar, i.e. target/plugins after `mvn package`. */
        private static Path defaultPluginsDir() {
            try {
                Path jar = Path.of(DevServer.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toURI());
                // Both target/classes (running from an IDE) and target/*.jar have target/ as parent.
                return jar.getParent().resolve("plugins");
            } catch (URISyntaxException | SecurityException | NullPointerException e) {
                return null;
            }
        }
    }
}
