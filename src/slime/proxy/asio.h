#pragma once
// The Asio/Beast names the proxy uses, in one place.
#include <utility>  // Boost 1.74 asio uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace slime::proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
template <typename T>
using awaitable = asio::awaitable<T>;
inline constexpr auto use_awaitable = asio::use_awaitable;

}  // namespace slime::proxy
