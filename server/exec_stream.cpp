#include "server/exec_stream.h"

#include <memory>
#include <thread>

#include "server/exec_reply.h"
#include "server/guarded_http_server.h"
#include "server/output_queue.h"
#include "server/sse.h"

namespace vivarium::server {
namespace {

// Shared by the connection's thread and the thread that runs the execution.
struct StreamedExecution {
  std::string session_id;
  sessions::ExecInput input;
  OutputQueue queue;
  HttpReply reply;
};

}  // namespace

bool wants_event_stream(const std::string& accept) { return accept.find("text/event-stream") != std::string::npos; }

void stream_execution(httplib::Response& response, sessions::Executor& executor, std::string session_id,
                      sessions::ExecInput input, std::uint64_t max_output_bytes) {
  auto job = std::make_shared<StreamedExecution>();
  job->session_id = std::move(session_id);
  job->input = std::move(input);
  job->input.cancelled = std::make_shared<std::atomic<bool>>(false);
  job->input.on_output = [queue = &job->queue](engine::OutputStream stream, std::string_view text) {
    queue->push(stream, text);
  };
  GuardedHttpServer::stream_response();
  response.status = 200;
  response.set_header("Cache-Control", "no-cache");
  response.set_header("X-Accel-Buffering", "no");  // nginx: pass events on as they come
  response.set_chunked_content_provider(
      "text/event-stream", [job, &executor, max_output_bytes](std::size_t, httplib::DataSink& sink) {
        std::thread runner([job, &executor, max_output_bytes] {
          job->reply = exec_reply(executor.execute(job->session_id, job->input), max_output_bytes);
          job->queue.close();
        });
        bool connected = true;
        const auto write = [&](const std::string& text) {
          if (!connected || sink.write(text.data(), text.size())) return;
          // Gone: stop the code (KeyboardInterrupt, then the timeout's escalation) and
          // drain what it still prints, so that the runner can finish.
          connected = false;
          job->input.cancelled->store(true);
          executor.interrupt(job->session_id, job->input.cancelled.get());
        };
        for (;;) {
          auto batch = job->queue.take(kStreamHeartbeat);
          std::string events;
          for (const auto& event : batch.events) events += sse_output_event(event);
          if (events.empty() && !batch.finished) events = sse_comment("running");
          if (!events.empty()) write(events);
          if (batch.finished) break;
        }
        runner.join();
        if (!connected) return false;  // httplib closes the connection
        write(sse_event("result", job->reply.body));
        if (connected) sink.done();
        return connected;
      });
}

}  // namespace vivarium::server
