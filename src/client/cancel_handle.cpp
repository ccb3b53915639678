// CancelHandle: cancels one call from any thread (see CallOptions).
#include <boost/asio/post.hpp>

#include "client/session_impl.hpp"

namespace nexus::client {

CancelHandle::CancelHandle() : state_(std::make_shared<detail::CancelState>()) {}

bool CancelHandle::cancel(CancelMode mode) const {
    std::shared_ptr<detail::SessionImpl> session;
    wamp::Id request = 0;
    {
        std::lock_guard lock(state_->mutex);
        if (state_->over || state_->requested) return false;
        state_->requested = mode;
        session = state_->session.lock();
        request = state_->request;
    }
    // Not sent yet: the session sends CANCEL right after the CALL.
    if (!session || request == 0) return true;
    boost::asio::post(session->strand(),
                      [session, request, mode] { session->cancel_call(request, mode); });
    return true;
}

} // namespace nexus::client
