package dev.banger.daemon.agent;

import dev.banger.channel.Relay;
import dev.banger.channel.Stream;
import dev.banger.channel.StreamEnd;
import dev.banger.daemon.rpc.Conversation;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A client's connection joined to a stream of its VM's agent, bytes copied both ways as they come: the
 * records of a conversation (exec, copies) are the client's and the agent's to read; the daemon only
 * carries them. Memory stays bounded on every path: a fixed buffer each way, and the stream's credit stops
 * a guest that floods a client reading slowly. The agent's end of the stream ends the conversation; the
 * client going away (its connection closed, the CLI killed) ends the stream, which tells the agent.
 */
final class AgentRelay implements Conversation {

    private final Stream stream;

    AgentRelay(Stream stream) {
        this.stream = stream;
    }

    @Override
    public void run(InputStream fromClient, OutputStream toClient) {
        Thread up = Thread.ofVirtual().name("relay-to-agent-" + stream.id()).start(() -> {
            try {
                Relay.copy(fromClient, stream.output());
                stream.close(StreamEnd.FAILED, "the client closed its connection");
            } catch (IOException e) {
                stream.close(StreamEnd.FAILED, "the client went away");
            }
        });
        try {
            Relay.copy(stream.input(), toClient);
        } catch (IOException e) {
            stream.close(StreamEnd.FAILED, "the client went away");
        } finally {
            up.interrupt();
        }
    }

    @Override
    public void abandon() {
        stream.close(StreamEnd.FAILED, "the client left before its conversation began");
    }
}
