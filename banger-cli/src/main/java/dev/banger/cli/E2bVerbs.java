package dev.banger.cli;

import dev.banger.api.Params;
import dev.banger.api.Rpcs;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** banger e2b key ...: the E2B API's keys. A key is printed once, by create; the daemon keeps only its salted hash. */
final class E2bVerbs {
    static final Args.Target KEY = new Args.Target("ID", "the key's id (from 'banger e2b key list')");

    private E2bVerbs() {
    }

    static List<Verb> all(CliContext ctx) {
        return List.of(
                new CallVerb<>(ctx, "create", "Make an API key for the E2B API; it is shown this once (set it as E2B_API_KEY).",
                        Rpcs.E2B_KEY_CREATE)
                        .request(spec -> spec.addOption(Verb.option("NAME", String.class, "a label for 'key list'", "--name")),
                                args -> new Params.E2bKeyCreate(args.matchedOptionValue("--name", null)))
                        .json("the key, its id and name")
                        .text((k, c) -> {
                            c.out().println(k.key());
                            c.out().println("(key " + k.id() + (k.name().isEmpty() ? "" : " '" + k.name() + "'")
                                    + ": shown only now; revoke with 'banger e2b key revoke " + k.id() + "')");
                        }),
                new CallVerb<>(ctx, "list", "List the API keys (never the keys themselves).", Rpcs.E2B_KEY_LIST, "ls")
                        .json("the keys").text(E2bVerbs::table),
                new CallVerb<>(ctx, "revoke", "Revoke an API key: calls made with it are refused from now on.", Rpcs.E2B_KEY_REVOKE)
                        .on(KEY, Params.E2bKeyRef::new).json("the revoked key")
                        .text((k, c) -> c.out().println("revoked key " + k.id() + (k.name().isEmpty() ? "" : " '" + k.name() + "'"))));
    }

    private static void table(Params.E2bKeyList list, CliContext ctx) {
        Table t = new Table("ID", "NAME", "CREATED", "STATE");
        Instant now = Instant.now();
        for (Params.E2bKeyInfo k : list.keys()) {
            t.row(k.id(), k.name(), Durations.shortForm(Duration.between(k.createdAt(), now)) + " ago",
                    k.revokedAt() == null ? "active" : "revoked");
        }
        t.print(ctx.out());
    }
}
